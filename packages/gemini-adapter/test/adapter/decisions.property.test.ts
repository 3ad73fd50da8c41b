/** Invariants of the decision table and of the token estimate, over any input. */
import { BrokenCircuitError, RateLimitedError, TimeoutError } from '@bulwark/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  estimateInputTokens,
  failoverReason,
  GeminiFailure,
  geminiFailureKinds,
  isBreakerFailure,
  isRetryable,
} from '../../src/index.js';

const KINDS = geminiFailureKinds;

describe('the decision table', () => {
  it('never retries, counts or fails over a caller abort, a client error or a blocked answer', () => {
    for (const kind of ['aborted', 'clientError', 'blocked', 'empty', 'unknown'] as const) {
      const failure = new GeminiFailure({ kind, serverMessage: kind });
      expect([isRetryable(failure), isBreakerFailure(failure), failoverReason(failure)]).toEqual([
        false,
        false,
        undefined,
      ]);
    }
  });

  it('every breaker failure is retryable, and every retryable failure may fail over', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KINDS),
        fc.option(fc.nat(), { nil: undefined }),
        (kind, retryAfterMs) => {
          const failure = new GeminiFailure({ kind, serverMessage: 'x', retryAfterMs });
          if (isBreakerFailure(failure)) expect(isRetryable(failure)).toBe(true);
          if (isRetryable(failure)) expect(failoverReason(failure)).toBe('retriesExhausted');
          if (kind === 'rateLimited' || kind === 'dailyQuotaExhausted')
            expect(isBreakerFailure(failure)).toBe(false);
        },
      ),
    );
  });

  it('reads core rejections: an open breaker and a local limit fail over, a timeout retries', () => {
    expect(failoverReason(new BrokenCircuitError(undefined, 10))).toBe('breakerOpen');
    expect(failoverReason(new RateLimitedError(10))).toBe('localLimit');
    expect(isRetryable(new TimeoutError(5))).toBe(true);
    expect(isRetryable(new Error('anything else'))).toBe(false);
  });
});

describe('estimateInputTokens', () => {
  it('returns a whole number >= 1 for any input, and never throws', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (contents, config) => {
        const tokens = estimateInputTokens({ contents, config } as never);
        expect(Number.isInteger(tokens)).toBe(true);
        expect(tokens).toBeGreaterThanOrEqual(1);
      }),
    );
  });

  it('grows with the text: about four characters per token', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2_000 }), (text) => {
        expect(estimateInputTokens({ contents: text })).toBe(Math.max(1, Math.ceil(text.length / 4)));
      }),
    );
  });
});
