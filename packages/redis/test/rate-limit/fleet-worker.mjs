// One process of the fleet test (fleet.test.ts): many concurrent callers through two limiters on the built
// @bulwark/redis store. For each line read from stdin (`direct`, or `lease`: every limiter goes through a local
// lease, leaseStore with 5 calls per round trip held 50 ms at most), runs the fleet once on fresh limiters and
// prints its admissions (the Redis time of each, from the store's answer) as one JSON line. Exits when stdin ends.
import { createInterface } from 'node:readline';
import { rateLimit, slidingWindow, tokenBucket } from '@bulwark/core';
import { leaseStore, redisRateLimitStore } from '../../dist/index.js';

const [url, prefix, kind, callers, durationMs] = process.argv.slice(2);
let client;
let close;
if (kind === 'ioredis') {
  const { Redis } = await import('ioredis');
  client = new Redis(url);
  close = () => client.disconnect();
} else {
  const { createClient } = await import('redis');
  client = createClient({ url });
  await client.connect();
  close = () => client.destroy();
}

async function run(mode) {
  // Each mode on keys of its own.
  const shared = redisRateLimitStore({ client, prefix: `${prefix}-${mode}` });
  const store = mode === 'lease' ? leaseStore(shared, { size: 5, maxHoldMs: 50 }) : shared;
  /** The store's answers, logged per limiter: the admission times in Redis's clock (a hand-out: its lease's). */
  const logged = (log) => ({
    acquire: async (request) => {
      const result = await store.acquire(request);
      if (result.admitted) log.push(result.at);
      return result;
    },
    adjust: (request) => store.adjust(request),
    pause: (request) => store.pause(request),
    read: (request) => store.read(request),
  });
  const windowLog = [];
  const bucketLog = [];
  const limiters = [
    [
      rateLimit({
        limits: slidingWindow({ limit: 40, window: 250, segments: 5 }),
        maxWait: 60_000,
        store: logged(windowLog),
      }),
      { ran: 0 },
    ],
    [
      rateLimit({
        limits: tokenBucket({ rate: 100, capacity: 20 }),
        maxWait: 60_000,
        store: logged(bucketLog),
      }),
      { ran: 0 },
    ],
  ];
  const end = performance.now() + Number(durationMs);
  const loops = [];
  for (const [policy, count] of limiters) {
    for (let i = 0; i < Number(callers); i++) {
      loops.push(
        (async () => {
          while (performance.now() < end) {
            await policy.execute(() => {
              count.ran++;
            });
          }
        })(),
      );
    }
  }
  await Promise.all(loops);
  process.stdout.write(
    `${JSON.stringify({ window: windowLog, bucket: bucketLog, ran: limiters.map(([, c]) => c.ran) })}\n`,
  );
}

process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== '') await run(line.trim());
}
close();
// Writes to a pipe are synchronous on POSIX: exit at once (a node-redis client may hold a handle a while).
process.exit(0);
