import { expect, it } from 'vitest';
import { REDIS_SUBJECTS } from '../src/redis/subjects.js';
import { renderRedis, runRedis, smokeRedis } from '../src/redis/index.js';

it('measures admissions on a local redis-server for both libraries, from 1 and from 4 processes (smoke)', async () => {
  const rows = await runRedis(smokeRedis);
  expect(rows).toHaveLength(REDIS_SUBJECTS.length * 3);
  for (const row of rows) {
    expect(row.opsPerSec, `${row.subject} ${row.scenario}`).toBeGreaterThan(0);
    expect(row.p99Ms).toBeGreaterThanOrEqual(row.p50Ms);
  }
  expect(renderRedis(rows)).toContain('| 4 processes × 8 callers | rate-limiter-flexible |');
}, 120_000);
