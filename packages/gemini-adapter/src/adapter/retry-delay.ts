import { type Backoff, type BackoffSequence, type RandomSource, retryAfterOf } from '@bulwark/core';

/** What core's `retry` takes to choose a delay: a backoff and a reader of the server's delay hint. */
export interface RetryDelays {
  readonly backoff: Backoff;
  readonly delayHint: (outcome: { error?: unknown; result?: unknown }) => number | undefined;
}

/**
 * Retry delays where a server's hint (RetryInfo, "retry in Xs") is a floor, not a replacement: a retry waits the
 * backoff's delay or the server's, whichever is later. Gemini sends RetryInfo "0s" when less than a second is
 * left; retrying at once would only collect another 429.
 *
 * Core's retry lets a hint replace the backoff's delay, so the hint is not given to it as one: `delayHint` keeps
 * it and answers "no hint", and the backoff's sequence, which retry asks next (synchronously, in the same turn),
 * returns the later of its own delay and the kept hint. A hint longer than `maxHint` is passed on as a hint, so
 * retry gives up at once ('hintTooLong') and the call fails over instead of waiting.
 */
export function hintAsFloor(backoff: Backoff, maxHint: number): RetryDelays {
  let kept: number | undefined;
  const floored: Backoff = {
    maxDelay: Math.max(backoff.maxDelay, maxHint),
    start(random?: RandomSource): BackoffSequence {
      const sequence = backoff.start(random);
      return {
        next(): number {
          const delay = sequence.next();
          const hint = kept;
          kept = undefined;
          return hint === undefined || hint <= delay ? delay : hint;
        },
      };
    },
    delays(count: number, random?: RandomSource): number[] {
      return backoff.delays(count, random);
    },
  };
  return {
    backoff: floored,
    delayHint: (outcome) => {
      const hint = retryAfterOf(outcome.error);
      if (hint !== undefined && hint > maxHint) return hint;
      kept = hint;
      return undefined;
    },
  };
}
