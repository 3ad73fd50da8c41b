/** gemini.md's logging example: pro answers one 429 ("retry in 0.2s") then 503s, flash's daily quota is spent. */
import assert from 'node:assert/strict';
import { fault } from '@bulwark/gemini-adapter/testing';

export function onFakeGemini(fake) {
  fake.script('gemini-2.5-pro', [fault.rateLimited({ retryDelayMs: 200 })]);
  fake.setDefault('gemini-2.5-pro', fault.overloaded());
  fake.setDefault('gemini-2.5-flash', fault.dailyQuota());
}

/** The story the logged lines tell: maxAttempts (3) requests to pro, one to flash, then flash-lite answers. */
export function check(fake) {
  assert.deepEqual(
    fake.requests.map((r) => `${r.model}: ${r.answer}`),
    [
      'gemini-2.5-pro: rateLimited',
      'gemini-2.5-pro: overloaded',
      'gemini-2.5-pro: overloaded',
      'gemini-2.5-flash: dailyQuota',
      'gemini-2.5-flash-lite: ok',
    ],
  );
}
