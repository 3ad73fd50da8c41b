import { describe, expect, it } from 'vitest';
import { isInvalidOptionError, isTimeoutError, timeout } from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';

const strategies = ['aggressive', 'cooperative'] as const;

describe('timeout: abortOnReturn', () => {
  for (const strategy of strategies) {
    it(`${strategy}: aborts the function's signal once it returns, with an AbortError, not before`, async () => {
      const clock = new VirtualClock();
      const policy = timeout(1_000, { strategy, abortOnReturn: true, clock });
      let seen: AbortSignal | undefined;
      let abortedInside: boolean | undefined;
      const value = await policy.execute(async ({ signal }) => {
        seen = signal;
        await Promise.resolve();
        abortedInside = signal.aborted;
        return 'done';
      });
      expect(value).toBe('done');
      expect(abortedInside).toBe(false);
      expect(seen!.aborted).toBe(true);
      expect(seen!.reason).toBeInstanceOf(DOMException);
      expect((seen!.reason as DOMException).name).toBe('AbortError');
    });

    it(`${strategy}: also when the function fails or returns synchronously; the outcome is unchanged`, async () => {
      const clock = new VirtualClock();
      const policy = timeout(1_000, { strategy, abortOnReturn: true, clock });
      const signals: AbortSignal[] = [];
      const error = new Error('boom');
      await expect(
        policy.execute(({ signal }) => {
          signals.push(signal);
          return Promise.reject(error);
        }),
      ).rejects.toBe(error);
      await expect(
        policy.execute(({ signal }) => {
          signals.push(signal);
          return 7;
        }),
      ).resolves.toBe(7);
      expect(signals.map((s) => s.aborted)).toEqual([true, true]);
    });

    it(`${strategy}: work left running on the signal is cancelled when the function returns`, async () => {
      const clock = new VirtualClock();
      const policy = timeout(1_000, { strategy, abortOnReturn: true, clock });
      let cancelled: unknown;
      await policy.execute(({ signal }) => {
        // A sub-task the function does not wait for.
        signal.addEventListener('abort', () => {
          cancelled = signal.reason;
        });
        return 'quick';
      });
      expect((cancelled as DOMException | undefined)?.name).toBe('AbortError');
    });

    it(`${strategy}: off by default, so a returned stream keeps its signal`, async () => {
      const clock = new VirtualClock();
      const policy = timeout(1_000, { strategy, clock });
      let seen: AbortSignal | undefined;
      await policy.execute(({ signal }) => {
        seen = signal;
        return 'stream';
      });
      await clock.advance(5_000);
      expect(seen!.aborted).toBe(false);
    });

    it(`${strategy}: a timeout still fires with TimeoutError and its reason stays the TimeoutError`, async () => {
      const clock = new VirtualClock();
      const policy = timeout(100, { strategy, abortOnReturn: true, clock });
      let seen: AbortSignal | undefined;
      const result = policy.execute(
        ({ signal }) =>
          new Promise((_, reject) => {
            seen = signal;
            signal.addEventListener('abort', () => reject(signal.reason));
          }),
      );
      result.catch(() => {});
      await clock.advance(200);
      const error = await result.catch((e: unknown) => e);
      expect(isTimeoutError(error)).toBe(true);
      expect(isTimeoutError(seen!.reason)).toBe(true);
    });

    it(`${strategy}: a caller abort keeps the caller's reason`, async () => {
      const clock = new VirtualClock();
      const controller = new AbortController();
      const policy = timeout(1_000, { strategy, abortOnReturn: true, clock });
      let seen: AbortSignal | undefined;
      const result = policy.execute(
        ({ signal }) =>
          new Promise((_, reject) => {
            seen = signal;
            signal.addEventListener('abort', () => reject(signal.reason));
          }),
        { signal: controller.signal },
      );
      controller.abort('stop');
      await expect(result).rejects.toBe('stop');
      expect(seen!.reason).toBe('stop');
    });
  }

  it('refuses a non-boolean with InvalidOptionError naming it', () => {
    let error: unknown;
    try {
      timeout(100, { abortOnReturn: 1 as never });
    } catch (e) {
      error = e;
    }
    expect(isInvalidOptionError(error) && error.option).toBe('abortOnReturn');
  });
});
