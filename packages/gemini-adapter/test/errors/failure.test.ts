import { createRequire } from 'node:module';
import {
  circuitBreaker,
  consecutive,
  isBulwarkError,
  isExecutionRejectedError,
  isOverloadError,
  RateLimitedError,
} from '@bulwark/core';
import { VirtualClock } from '@bulwark/core/testing';
import { describe, expect, it } from 'vitest';
import { GeminiFailure, isGeminiFailure } from '../../src/index.js';

const failure = (kind: 'overloaded' | 'clientError', status: number) =>
  new GeminiFailure({ kind, status, serverMessage: 'x' });

describe('GeminiFailure: its code and brand', () => {
  it("has its own code, GEMINI_FAILURE, read through core's brand", () => {
    const error = failure('overloaded', 503);
    expect(error.code).toBe('GEMINI_FAILURE');
    expect(isBulwarkError(error)).toBe(true);
    expect(isGeminiFailure(error)).toBe(true);
    // The server's answer: not a local refusal.
    expect(isExecutionRejectedError(error)).toBe(false);
    expect(isGeminiFailure(new RateLimitedError(10))).toBe(false);
    expect(isGeminiFailure(Object.assign(new Error('503'), { kind: 'overloaded' }))).toBe(false);
  });

  it('isGeminiFailure recognises one from another copy of the package, both ways', () => {
    const require = createRequire(import.meta.url);
    const cjs = require('../../dist/index.cjs') as typeof import('../../src/index.js');
    const foreign = new cjs.GeminiFailure({ kind: 'network', serverMessage: 'reset' });
    expect(foreign instanceof GeminiFailure).toBe(false);
    expect(isGeminiFailure(foreign)).toBe(true);
    expect(cjs.isGeminiFailure(failure('clientError', 400))).toBe(true);
    // The brand is core's registered symbol: a copy made by hand is recognised too.
    expect(isGeminiFailure({ [Symbol.for('bulwark.error')]: 'GEMINI_FAILURE' })).toBe(true);
    expect(isGeminiFailure({ [Symbol.for('bulwark.error')]: 'HTTP_STATUS' })).toBe(false);
  });

  it("core's defaults read it as before: a breaker counts it, overload is a 429 or a 503", async () => {
    expect(isOverloadError(failure('overloaded', 503))).toBe(true);
    expect(isOverloadError(failure('clientError', 400))).toBe(false);
    const breaker = circuitBreaker({ strategy: consecutive(1), clock: new VirtualClock() });
    await expect(breaker.execute(() => Promise.reject(failure('clientError', 400)))).rejects.toBeInstanceOf(
      GeminiFailure,
    );
    expect(breaker.state).toBe('open');
  });
});
