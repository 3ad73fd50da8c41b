// A small tour of @bulwark/core: a flaky dependency made reliable by retry + timeout.
import { constant, pipeline, retry, timeout } from '@bulwark/core';

let calls = 0;
async function flakyDependency(signal) {
  calls++;
  if (calls % 3 !== 0) throw Object.assign(new Error(`overloaded (call ${calls})`), { retryAfterMs: 50 });
  await new Promise((resolve, reject) => {
    const t = setTimeout(resolve, 20);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });
  return `answer from call ${calls}`;
}

const policy = pipeline(retry({ maxAttempts: 4, backoff: constant(100) }), timeout(1_000));
policy.on('retry', (e) =>
  console.log(`  [${e.policy}] attempt ${e.attempt} in ${e.delay} ms (${e.delaySource}): ${e.error.message}`),
);
policy.on('timeout', (e) => console.log(`  [${e.policy}] timed out after ${e.timeoutMs} ms`));

for (let i = 1; i <= 3; i++) {
  const started = Date.now();
  const answer = await policy.execute(({ signal }) => flakyDependency(signal));
  console.log(`request ${i}: ${answer} after ${Date.now() - started} ms`);
}
console.log(`dependency was called ${calls} times for 3 requests; every request succeeded.`);
