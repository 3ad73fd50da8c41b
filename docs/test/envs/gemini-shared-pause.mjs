/** gemini.md's shared-store example: flash answers its first request with a 429 ("retry in 1s"), then answers. */
import assert from 'node:assert/strict';
import { fault } from '@bulwark/gemini-adapter/testing';

export function onFakeGemini(fake) {
  fake.script('gemini-2.5-flash', [fault.rateLimited({ retryDelayMs: 1_000 })]);
}

/** One 429 in all: the second client sent nothing until the pause the first one got was over. */
export function check(fake) {
  assert.deepEqual(
    fake.requests.map((r) => r.answer),
    ['rateLimited', 'ok', 'ok'],
  );
  for (const r of fake.requests.slice(1)) assert.ok(r.time - fake.requests[0].time >= 1_000);
}
