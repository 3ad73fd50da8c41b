/** gemini.md's failover example: a server with the free-tier quotas the example configures locally. */
import assert from 'node:assert/strict';

export const fakeGemini = {
  quotas: {
    'gemini-2.5-pro': { rpm: 5, tpm: 250_000, rpd: 100 },
    'gemini-2.5-flash': { rpm: 10, tpm: 250_000, rpd: 250 },
    'gemini-2.5-flash-lite': { rpm: 15, tpm: 250_000, rpd: 1_000 },
  },
};

/** "Not a single 429 from the server": the local limits kept every request within the quotas. */
export function check(fake) {
  assert.deepEqual(
    fake.requests.map((r) => r.answer),
    Array.from({ length: 30 }, () => 'ok'),
  );
}
