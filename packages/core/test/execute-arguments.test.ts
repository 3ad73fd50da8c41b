/**
 * `execute(fn, options)` of a policy and of a pipeline, at the edges of its arguments: what the rejection says
 * for a function that is not one, options whose getter throws (its error, or an InvalidOptionError for a thrown
 * non-error), a deadline in the past (the function still runs once); a layer whose run method throws
 * synchronously still gives a rejection; `on` returns a remover of that one listener.
 */
import { describe, expect, it } from 'vitest';
import {
  type ExecuteOptions,
  InvalidOptionError,
  isInvalidOptionError,
  type Next,
  type PolicyContext,
  PolicyBase,
  pipeline,
  RUN,
  retry,
} from '../src/index.js';

/** A layer whose run method throws synchronously (breaking the rule that it answers with a promise). */
class ThrowsSync extends PolicyBase<never, 'success'> {
  constructor(private readonly error: unknown) {
    super('throws');
  }
  [RUN](_context: PolicyContext, _next: Next): Promise<unknown> {
    throw this.error;
  }
}

const executors = {
  policy: () => retry(),
  pipeline: () => pipeline(retry()),
};

describe.each(Object.entries(executors))('%s.execute: its arguments', (_name, make) => {
  it('a function that is not one: InvalidOptionError naming fn, describing what it got', async () => {
    const error = await make()
      .execute(42 as never)
      .catch((e: unknown) => e);
    expect(isInvalidOptionError(error) && error.option).toBe('fn');
    expect((error as Error).message).toBe('Invalid option "fn": execute(fn): expected a function, got 42');
  });

  it('options that are not an object: the message says what they should be', async () => {
    const error = await make()
      .execute(() => 1, 'fast' as never)
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'Invalid option "options": expected an object ({ signal, deadline }), got "fast"',
    );
  });

  it('options whose getter throws an error reject with that error; the function never runs', async () => {
    const boom = new RangeError('getter');
    let calls = 0;
    const options = {
      get signal(): AbortSignal {
        throw boom;
      },
    } as ExecuteOptions;
    await expect(
      make().execute(() => {
        calls++;
      }, options),
    ).rejects.toBe(boom);
    expect(calls).toBe(0);
  });

  it('a getter throwing something that is not an error rejects with InvalidOptionError naming options', async () => {
    const options = {
      get deadline(): number {
        throw 'nope';
      },
    } as ExecuteOptions;
    const error = await make()
      .execute(() => 1, options)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe('options');
    expect((error as Error).message).toContain('"nope"');
  });

  it('null options are none; a deadline in the past still runs the function once', async () => {
    await expect(make().execute(() => 'ok', null as never)).resolves.toBe('ok');
    await expect(make().execute(() => 'late', { deadline: -5 })).resolves.toBe('late');
  });

  it('the signal message says what it expected', async () => {
    const error = await make()
      .execute(() => 1, { signal: 'stop' as never })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('Invalid option "signal": expected an AbortSignal, got "stop"');
  });

  it('the deadline message says what it expected', async () => {
    const error = await make()
      .execute(() => 1, { deadline: 'soon' as never })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'Invalid option "deadline": expected a time in clock ms (a number, Infinity for none), got "soon"',
    );
  });
});

describe('a layer whose run method throws synchronously', () => {
  it('in a pipeline: the execution rejects with its error, execute() itself does not throw', async () => {
    const error = new Error('sync in RUN');
    let outcome: Promise<unknown> | undefined;
    expect(() => {
      outcome = pipeline(new ThrowsSync(error)).execute(() => 'never');
    }).not.toThrow();
    await expect(outcome).rejects.toBe(error);
  });
});

describe('on()', () => {
  it('returns a function that removes that listener only', async () => {
    const policy = retry();
    const seen: string[] = [];
    const offA = policy.on('success', () => seen.push('a'));
    policy.on('success', () => seen.push('b'));
    await policy.execute(() => 1);
    offA();
    await policy.execute(() => 2);
    expect(seen).toEqual(['a', 'b', 'b']);
  });
});
