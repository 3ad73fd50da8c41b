// One "process" of the fleet test (fleet.test.ts), on the BUILT packages: a breaker sharing circuit NAME through
// the Redis at URL. Speaks in lines: prints "state <s>" whenever its state changes, "probe ran" / "probe refused"
// for its one probe attempt; reads "probe" (try one probe, whose function waits for "finish") and "exit".
import { createInterface } from 'node:readline';
import { circuitBreaker, consecutive } from '@bulwark/core';
import { Redis } from 'ioredis';
import { redisCircuitSync } from '../../dist/index.js';

const [url, name] = process.argv.slice(2);
const client = new Redis(url, { maxRetriesPerRequest: 1 });
const sync = redisCircuitSync({ client, name, stalenessMs: 50 });
const breaker = circuitBreaker({ strategy: consecutive(1), halfOpenAfter: 60_000, sync });

let last = '';
const watch = setInterval(() => {
  const state = breaker.state;
  if (state !== last) console.log(`state ${(last = state)}`);
}, 10);

let finish;
const finished = new Promise((resolve) => (finish = resolve));
createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line === 'probe') {
    let ran = false;
    const probe = () => {
      ran = true;
      console.log('probe ran'); // as soon as it starts, before it settles
      return finished;
    };
    await breaker.execute(probe).catch(() => {});
    if (!ran) console.log('probe refused');
  } else if (line === 'finish') {
    finish('up');
  } else if (line === 'exit') {
    clearInterval(watch);
    sync.close();
    client.disconnect();
    process.stdin.destroy();
  }
});
console.log('ready');
