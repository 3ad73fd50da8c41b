import * as bw from '@bulwark/core';
import * as ck from 'cockatiel';
import { type Case, measureCases, table } from './measure.js';

/**
 * The dependency under test: an already-resolved async function. Every case is measured as the caller sees it,
 * `await x()` inside an async function, as in the peers' published figures.
 */
const work = async (): Promise<number> => 1;

export async function overhead(): Promise<string> {
  const bRetry = bw.retry({ maxAttempts: 3 });
  const bTimeout = bw.timeout(10_000);
  const bRetryTimeout = bw.pipeline(bw.retry({ maxAttempts: 3 }), bw.timeout(10_000));

  const cRetry = ck.retry(ck.handleAll, { maxAttempts: 2, backoff: new ck.ExponentialBackoff() });
  const cTimeout = ck.timeout(10_000, ck.TimeoutStrategy.Aggressive);
  const cRetryTimeout = ck.wrap(
    ck.retry(ck.handleAll, { maxAttempts: 2, backoff: new ck.ExponentialBackoff() }),
    ck.timeout(10_000, ck.TimeoutStrategy.Aggressive),
  );

  const cases: Case[] = [
    {
      group: 'bare',
      name: 'bare await fn()',
      fn: async () => {
        await work();
      },
    },
    {
      group: 'retry',
      name: 'bulwark retry',
      fn: async () => {
        await bRetry.execute(work);
      },
    },
    {
      group: 'retry',
      name: 'cockatiel retry',
      fn: async () => {
        await cRetry.execute(work);
      },
    },
    {
      group: 'timeout',
      name: 'bulwark timeout',
      fn: async () => {
        await bTimeout.execute(work);
      },
    },
    {
      group: 'timeout',
      name: 'cockatiel timeout',
      fn: async () => {
        await cTimeout.execute(work);
      },
    },
    {
      group: 'retry+timeout',
      name: 'bulwark pipeline(retry, timeout)',
      fn: async () => {
        await bRetryTimeout.execute(work);
      },
    },
    {
      group: 'retry+timeout',
      name: 'cockatiel wrap(retry, timeout)',
      fn: async () => {
        await cRetryTimeout.execute(work);
      },
    },
  ];
  const rows = await measureCases(cases);
  const bare = rows.find((r) => r.group === 'bare')!.ns;
  return table(rows, bare, {
    'bulwark retry': 'cockatiel retry',
    'bulwark timeout': 'cockatiel timeout',
    'bulwark pipeline(retry, timeout)': 'cockatiel wrap(retry, timeout)',
  });
}
