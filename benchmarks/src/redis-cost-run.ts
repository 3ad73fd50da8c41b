/**
 * `pnpm --filter @bulwark/benchmarks run bench:redis:cost`: Redis's own time per admission (the script calls' usec
 * in INFO commandstats over the admissions), Bulwark's store against rate-limiter-flexible on one local
 * redis-server, in many short rounds that take turns (64 callers each). The lowest round is the script's cost with
 * the least interference from the machine; the median says how steady it was. On a shared machine this moves far
 * less than the admission rates of `bench:redis`, so it is the figure to compare when changing the script.
 */
import { Redis } from 'ioredis';
import { startRedisServer } from '../../packages/redis/test/support/redis-server.js';
import { connectSubject, drive, type RedisSubject } from './redis/subjects.js';

const ROUNDS = 15;
const ROUND_MS = 300;
const SUBJECTS: readonly RedisSubject[] = ['bulwark', 'rate-limiter-flexible'];

async function scriptStats(admin: Redis): Promise<{ calls: number; usec: number }> {
  const info = await admin.info('commandstats');
  let calls = 0;
  let usec = 0;
  for (const m of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+),usec=(\d+)/gm)) {
    calls += Number(m[1]);
    usec += Number(m[2]);
  }
  await admin.config('RESETSTAT');
  return { calls, usec };
}

const server = await startRedisServer();
const admin = new Redis(server.url);
try {
  const subjects = [];
  for (const subject of SUBJECTS) {
    const connected = await connectSubject(subject, server.url, `cost-${subject}`);
    for (let i = 0; i < 500; i++) await connected.admit();
    subjects.push({ subject, ...connected, perAdmission: [] as number[] });
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of subjects) {
      await scriptStats(admin);
      const run = await drive(s.admit, 64, ROUND_MS);
      const { calls, usec } = await scriptStats(admin);
      // One script call per admission: anything else means the subject changed shape.
      if (calls !== run.latencies.length)
        throw new Error(`${s.subject}: ${calls} calls for ${run.latencies.length}`);
      s.perAdmission.push(usec / calls);
    }
  }
  console.log('| library | Redis µs/admission (lowest round) | median round |');
  console.log('| --- | ---: | ---: |');
  for (const s of subjects) {
    const sorted = s.perAdmission.sort((a, b) => a - b);
    console.log(
      `| ${s.subject} | ${sorted[0]!.toFixed(2)} | ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} |`,
    );
    s.close();
  }
} finally {
  admin.disconnect();
  await server.close();
}
