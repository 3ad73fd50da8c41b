/**
 * deadlineSignal() at its edges: the deadline it carries (its own when earlier than its parent's; none read from
 * a signal Bulwark did not make), what an already-aborted parent leaves (no timer), the TimeoutError it aborts
 * with, and which listeners keep a dropped signal alive until its deadline: exactly the abort listeners still
 * attached (capture or not, or an `onabort` function), and none once it has aborted.
 */
import { describe, expect, it } from 'vitest';
import { DEADLINE, deadlineOf, deadlineSignal, isInvalidOptionError, TimeoutError } from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';
import { collectUntil, gc } from '../support/gc.js';
import { abortListeners, thrown } from '../support/helpers.js';

/** Makes `n` signals with `make` in a frame of its own and keeps only weak references to them. */
function dropped(n: number, make: () => AbortSignal): WeakRef<AbortSignal>[] {
  return Array.from({ length: n }, () => new WeakRef(make()));
}

/** Adds an abort listener and an `onabort` handler to each signal still there (in a frame of its own too). */
function listenToEach(refs: WeakRef<AbortSignal>[]): void {
  for (const ref of refs) {
    const signal = ref.deref();
    signal?.addEventListener('abort', () => {});
    if (signal) signal.onabort = () => {};
  }
}

const gone = (refs: WeakRef<AbortSignal>[]) => () => refs.every((ref) => ref.deref() === undefined);

describe('deadlineSignal: the deadline it carries', () => {
  it('its own deadline when it is earlier than its parent one', () => {
    const clock = new VirtualClock(1_000);
    const parent = deadlineSignal(500, { clock });
    expect(deadlineOf(deadlineSignal(200, { clock, signal: parent }))).toBe(1_200);
  });

  it('its own deadline under a parent that carries none', () => {
    const clock = new VirtualClock(1_000);
    const parent = new AbortController().signal;
    expect(deadlineOf(deadlineSignal(200, { clock, signal: parent }))).toBe(1_200);
  });

  it('deadlineOf: none for no signal, a plain signal, or a deadline that is not a number', () => {
    expect(deadlineOf(undefined)).toBeUndefined();
    expect(deadlineOf(new AbortController().signal)).toBeUndefined();
    const odd = new AbortController().signal;
    (odd as unknown as Record<symbol, unknown>)[DEADLINE] = 'soon';
    expect(deadlineOf(odd)).toBeUndefined();
  });

  it('aborts with a TimeoutError naming its duration', async () => {
    const clock = new VirtualClock();
    const signal = deadlineSignal(250, { clock });
    await clock.advance(250);
    expect(signal.reason).toBeInstanceOf(TimeoutError);
    expect((signal.reason as TimeoutError).timeoutMs).toBe(250);
  });

  it('under an already-aborted parent: aborted with its reason, no timer armed', async () => {
    const clock = new VirtualClock();
    const parent = new AbortController();
    parent.abort('gone');
    const signal = deadlineSignal(250, { clock, signal: parent.signal });
    expect(signal.reason).toBe('gone');
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(250);
    expect(signal.reason).toBe('gone');
  });

  it('names the option of a bad duration', () => {
    const error = thrown(() => deadlineSignal(-5));
    expect(isInvalidOptionError(error) && error.option).toBe('ms');
  });
});

describe('deadlineSignal: following a parent', () => {
  it('a child that reached its deadline leaves its parent following the others', async () => {
    const clock = new VirtualClock();
    const parent = new AbortController();
    const early = deadlineSignal(10, { clock, signal: parent.signal });
    const late = deadlineSignal(1_000, { clock, signal: parent.signal });
    await clock.advance(10);
    expect(early.reason).toBeInstanceOf(TimeoutError);
    expect(abortListeners(parent.signal)).toBe(1);
    parent.abort('stop');
    expect(late.reason).toBe('stop');
    expect(abortListeners(parent.signal)).toBe(0);
  });

  it('a parent whose every child reached its deadline is followed again by a new child', async () => {
    const clock = new VirtualClock();
    const parent = new AbortController();
    deadlineSignal(10, { clock, signal: parent.signal });
    await clock.advance(10);
    expect(abortListeners(parent.signal)).toBe(0);
    const next = deadlineSignal(1_000, { clock, signal: parent.signal });
    expect(abortListeners(parent.signal)).toBe(1);
    parent.abort('stop');
    expect(next.reason).toBe('stop');
  });

  it('a parent aborting after its dropped children were collected (before their clean-up ran) skips them', async () => {
    const parent = new AbortController();
    const refs = dropped(20, () => deadlineSignal(60_000, { signal: parent.signal }));
    const kept = deadlineSignal(60_000, { signal: parent.signal });
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    // Synchronously after the collection: the finalization callbacks have not run, the parent still follows them.
    const collected = refs.filter((ref) => ref.deref() === undefined).length;
    const listening = abortListeners(parent.signal);
    parent.abort('stop');
    expect(collected).toBeGreaterThan(0);
    expect(listening).toBe(1);
    expect(kept.reason).toBe('stop');
  });
});

describe('deadlineSignal: listeners', () => {
  it('onabort reads back the handler set, and the handler runs at the deadline', async () => {
    const clock = new VirtualClock();
    const signal = deadlineSignal(10, { clock });
    expect(signal.onabort).toBeNull();
    const reasons: unknown[] = [];
    const handler = () => reasons.push(signal.reason);
    signal.onabort = handler;
    expect(signal.onabort).toBe(handler);
    await clock.advance(10);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(TimeoutError);
  });

  it('removing listeners it never had is harmless, in either phase', async () => {
    const clock = new VirtualClock();
    const signal = deadlineSignal(10, { clock });
    const listener = () => {};
    expect(() => {
      signal.removeEventListener('abort', listener, true);
      signal.removeEventListener('abort', listener);
    }).not.toThrow();
    await clock.advance(10);
    expect(signal.aborted).toBe(true);
  });
});

describe('deadlineSignal: what keeps a dropped signal alive', () => {
  it('a capture listener keeps it until its deadline, where the listener runs', async () => {
    const reasons = await Promise.all(
      [true, { capture: true }].map(
        (capture) =>
          new Promise<unknown>((resolve) => {
            deadlineSignal(30).addEventListener(
              'abort',
              (event) => resolve((event.target as AbortSignal).reason),
              capture,
            );
          }),
      ),
    );
    expect(reasons.every((reason) => reason instanceof TimeoutError)).toBe(true);
  });

  it('a capture listener removed again, as capture, lets it go', async () => {
    const listener = () => {};
    const refs = dropped(50, () => {
      const signal = deadlineSignal(60_000);
      signal.addEventListener('abort', listener, true);
      signal.addEventListener('abort', listener, { capture: true, once: true });
      signal.removeEventListener('abort', listener, { capture: true });
      return signal;
    });
    expect(await collectUntil(gone(refs))).toBe(true);
  });

  it.each<[string, boolean | AddEventListenerOptions, boolean | EventListenerOptions | undefined]>([
    ['capture as a boolean', true, false],
    ['capture in options', { capture: true }, { capture: false }],
    ['capture in options, removed without', { capture: true }, undefined],
  ])(
    'removing a listener in the other phase keeps it (%s: the listener is still attached)',
    async (_case, added, removed) => {
      const clock = new VirtualClock();
      const listener = () => {};
      const refs = dropped(1, () => {
        const signal = deadlineSignal(60_000, { clock });
        signal.addEventListener('abort', listener, added);
        signal.removeEventListener('abort', listener, removed);
        return signal;
      });
      expect(await collectUntil(gone(refs))).toBe(false);
      await clock.advance(60_000);
      expect(refs[0]!.deref()?.aborted).toBe(true);
    },
  );

  it('listeners of other events, null or undefined listeners and an onabort that is not a function keep nothing', async () => {
    const refs = dropped(50, () => {
      const signal = deadlineSignal(60_000);
      signal.addEventListener('other', () => {});
      signal.addEventListener('abort', null as never);
      signal.addEventListener('abort', undefined as never);
      (signal as { onabort: unknown }).onabort = 'not a function';
      return signal;
    });
    expect(await collectUntil(gone(refs))).toBe(true);
  });

  it('once aborted, neither the listeners it had nor ones added later keep it', async () => {
    const parent = new AbortController();
    const refs = dropped(50, () => {
      const signal = deadlineSignal(60_000, { signal: parent.signal });
      signal.addEventListener('abort', () => {});
      signal.onabort = () => {};
      return signal;
    });
    parent.abort('stop');
    listenToEach(refs);
    expect(await collectUntil(gone(refs))).toBe(true);
    expect(abortListeners(parent.signal)).toBe(0);
  });
});
