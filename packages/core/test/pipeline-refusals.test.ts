/**
 * What a pipeline refuses, and how: a layer that is not a policy is an InvalidOptionError naming its place and
 * saying what it got; an already-aborted signal rejects with its reason before any layer (or the function) runs;
 * invalid execute options reject, never throw. A pipeline's own name is always 'pipeline'.
 */
import { describe, expect, it } from 'vitest';
import { definePolicy, InvalidOptionError, pipeline, retry } from '../src/index.js';
import { thrown } from './support/helpers.js';

describe('pipeline refusals', () => {
  it("is named 'pipeline', nested or not", () => {
    expect(pipeline().name).toBe('pipeline');
    expect(pipeline(retry(), pipeline(retry())).name).toBe('pipeline');
  });

  it('a layer that is not a policy: InvalidOptionError naming its index and what it got', () => {
    const error = thrown(() => pipeline(retry(), 42 as never));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe('policies[1]');
    expect((error as InvalidOptionError).message).toBe(
      'Invalid option "policies[1]": pipeline(): expected a Bulwark policy, got 42',
    );
  });

  it('an already-aborted signal rejects with its reason before any layer or the function runs', async () => {
    const ran: string[] = [];
    const layer = definePolicy({
      name: 'recorder',
      run(context, next) {
        ran.push('layer');
        return next(context);
      },
    });
    const fn = () => {
      ran.push('fn');
      return 'ran';
    };
    const signal = AbortSignal.abort('gone');
    await expect(pipeline(layer).execute(fn, { signal })).rejects.toBe('gone');
    await expect(pipeline().execute(fn, { signal })).rejects.toBe('gone');
    expect(ran).toEqual([]);
  });

  it('invalid execute arguments reject with InvalidOptionError (never a synchronous throw), running nothing', async () => {
    let calls = 0;
    const empty = pipeline();
    const bad = [
      () => empty.execute('not a function' as never),
      () => empty.execute(() => calls++, 5 as never),
      () => empty.execute(() => calls++, { signal: 'soon' as never }),
    ];
    for (const call of bad) {
      let result: Promise<unknown> | undefined;
      expect(() => {
        result = call();
      }).not.toThrow();
      await expect(result).rejects.toBeInstanceOf(InvalidOptionError);
    }
    expect(calls).toBe(0);
  });
});
