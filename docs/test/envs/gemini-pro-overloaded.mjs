/** gemini.md's quick start: pro is overloaded, flash answers. */
import assert from 'node:assert/strict';
import { fault } from '@bulwark/gemini-adapter/testing';

export function onFakeGemini(fake) {
  fake.setDefault('gemini-2.5-pro', fault.overloaded());
}

/** What the quick start's comments say happened: maxAttempts (3) requests to pro, then flash answered. */
export function check(fake) {
  assert.deepEqual(
    fake.requests.map((r) => `${r.model}: ${r.answer}`),
    [
      'gemini-2.5-pro: overloaded',
      'gemini-2.5-pro: overloaded',
      'gemini-2.5-pro: overloaded',
      'gemini-2.5-flash: ok',
    ],
  );
}
