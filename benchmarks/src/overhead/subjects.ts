/**
 * The compositions measured, each built once per library that has an equivalent. Options are each library's
 * defaults where it has them; where a library requires a value (cockatiel's halfOpenAfter, bulkhead sizes) all
 * get the same one. Nothing here limits or trips during a success-path measurement. The peers are the versions
 * `loadPeers` chose for the running Node.
 */
import * as bw from '@bulwark/core';
import { CLOCK_READ } from './clock-read.js';
import { addInstrumented } from './instrumented.js';
import type { Peers } from './peers.js';
import { fail, parked, settle, work } from './work.js';

export type Library = 'bulwark' | 'cockatiel' | 'opossum' | 'p-retry' | 'bottleneck';
export type Path = 'success' | 'failure' | 'rejection';

export interface Subject {
  readonly composition: string;
  readonly path: Path;
  readonly library: Library | 'bare';
  readonly fn: () => Promise<unknown>;
}

/** Resources to release after measuring (timers of bottleneck, opossum, parked calls). */
export interface Subjects {
  readonly list: readonly Subject[];
  dispose(): Promise<void>;
}

const BIG = 1_000_000_000;
const TEN_S = 10_000;

export function buildSubjects({ ck, CircuitBreaker, pRetry, Bottleneck }: Peers): Subjects {
  const list: Subject[] = [];
  const disposers: (() => unknown)[] = [];
  // Every success case is `await x()` inside an async function, the bare call included, so the caller's own
  // frame costs the same everywhere (failure and rejection cases await inside settle()).
  const add = (composition: string, path: Path, library: Subject['library'], fn: () => Promise<unknown>) =>
    list.push({
      composition,
      path,
      library,
      fn:
        path === 'success'
          ? async () => {
              await fn();
            }
          : fn,
    });

  // Bare calls.
  add('bare call', 'success', 'bare', work);
  add('bare call', 'failure', 'bare', () => settle(fail()));
  // The floor of anything that must know the time on every call (a rate limiter): one clock read.
  add(CLOCK_READ, 'success', 'bare', () => {
    Date.now();
    return work();
  });

  // Retry.
  const bRetry = bw.retry();
  const bRetryNo = bw.retry({ handle: () => false });
  const cRetry = ck.retry(ck.handleAll, { maxAttempts: 2, backoff: new ck.ExponentialBackoff() });
  const cRetryNo = ck.retry(
    ck.handleWhen(() => false),
    { maxAttempts: 2, backoff: new ck.ExponentialBackoff() },
  );
  add('retry', 'success', 'bulwark', () => bRetry.execute(work));
  add('retry', 'success', 'cockatiel', () => cRetry.execute(work));
  add('retry', 'success', 'p-retry', () => pRetry(work, { retries: 2 }));
  add('retry', 'failure', 'bulwark', () => settle(bRetryNo.execute(fail)));
  add('retry', 'failure', 'cockatiel', () => settle(cRetryNo.execute(fail)));
  add('retry', 'failure', 'p-retry', () => settle(pRetry(fail, { retries: 2, shouldRetry: () => false })));

  // Timeout.
  const bTimeout = bw.timeout(TEN_S);
  const cTimeout = ck.timeout(TEN_S, ck.TimeoutStrategy.Aggressive);
  add('timeout', 'success', 'bulwark', () => bTimeout.execute(work));
  add('timeout', 'success', 'cockatiel', () => cTimeout.execute(work));
  add('timeout', 'failure', 'bulwark', () => settle(bTimeout.execute(fail)));
  add('timeout', 'failure', 'cockatiel', () => settle(cTimeout.execute(fail)));

  // Circuit breaker: closed (success, counted failure) and open (rejection).
  const bBreaker = bw.circuitBreaker();
  const bBreakerCounting = bw.circuitBreaker({ strategy: bw.consecutive(BIG) });
  const bBreakerOpen = bw.circuitBreaker({ strategy: bw.consecutive(1), halfOpenAfter: BIG });
  const cBreaker = () =>
    ck.circuitBreaker(ck.handleAll, { halfOpenAfter: TEN_S, breaker: new ck.ConsecutiveBreaker(5) });
  const cBreakerOk = cBreaker();
  const cBreakerCounting = ck.circuitBreaker(ck.handleAll, {
    halfOpenAfter: TEN_S,
    breaker: new ck.ConsecutiveBreaker(BIG),
  });
  const cBreakerOpen = ck.circuitBreaker(ck.handleAll, {
    halfOpenAfter: BIG,
    breaker: new ck.ConsecutiveBreaker(1),
  });
  const oBreaker = new CircuitBreaker(work, { timeout: false });
  const oBreakerCounting = new CircuitBreaker(fail, { timeout: false, volumeThreshold: BIG });
  const oBreakerOpen = new CircuitBreaker(work, { timeout: false, resetTimeout: BIG });
  oBreakerOpen.open();
  for (const o of [oBreaker, oBreakerCounting, oBreakerOpen]) disposers.push(() => o.shutdown());
  add('circuit breaker', 'success', 'bulwark', () => bBreaker.execute(work));
  add('circuit breaker', 'success', 'cockatiel', () => cBreakerOk.execute(work));
  add('circuit breaker', 'success', 'opossum', () => oBreaker.fire());
  add('circuit breaker', 'failure', 'bulwark', () => settle(bBreakerCounting.execute(fail)));
  add('circuit breaker', 'failure', 'cockatiel', () => settle(cBreakerCounting.execute(fail)));
  add('circuit breaker', 'failure', 'opossum', () => settle(oBreakerCounting.fire()));
  add('circuit breaker', 'rejection', 'bulwark', () => settle(bBreakerOpen.execute(work)));
  add('circuit breaker', 'rejection', 'cockatiel', () => settle(cBreakerOpen.execute(work)));
  add('circuit breaker', 'rejection', 'opossum', () => settle(oBreakerOpen.fire()));

  // Breaker + timeout: opossum's default breaker has a 10 s timeout built in.
  const bBreakerTimeout = bw.pipeline(bw.circuitBreaker(), bw.timeout(TEN_S));
  const cBreakerTimeout = ck.wrap(cBreaker(), ck.timeout(TEN_S, ck.TimeoutStrategy.Aggressive));
  const oBreakerTimeout = new CircuitBreaker(work, { timeout: TEN_S });
  disposers.push(() => oBreakerTimeout.shutdown());
  add('breaker + timeout', 'success', 'bulwark', () => bBreakerTimeout.execute(work));
  add('breaker + timeout', 'success', 'cockatiel', () => cBreakerTimeout.execute(work));
  add('breaker + timeout', 'success', 'opossum', () => oBreakerTimeout.fire());

  // Bulkhead (concurrency limit with a queue).
  const bBulkhead = bw.bulkhead({ maxConcurrent: 10, maxQueue: 10 });
  const cBulkhead = ck.bulkhead(10, 10);
  const boBulkhead = new Bottleneck({ maxConcurrent: 10 });
  disposers.push(() => boBulkhead.disconnect());
  add('bulkhead', 'success', 'bulwark', () => bBulkhead.execute(work));
  add('bulkhead', 'success', 'cockatiel', () => cBulkhead.execute(work));
  add('bulkhead', 'success', 'bottleneck', () => boBulkhead.schedule(work));
  add('bulkhead', 'failure', 'bulwark', () => settle(bBulkhead.execute(fail)));
  add('bulkhead', 'failure', 'cockatiel', () => settle(cBulkhead.execute(fail)));
  const bFull = bw.bulkhead({ maxConcurrent: 1 });
  const cFull = ck.bulkhead(1, 0);
  const holdB = parked();
  const holdC = parked();
  void bFull.execute(() => holdB.promise);
  void cFull.execute(() => holdC.promise);
  disposers.push(holdB.release, holdC.release);
  add('bulkhead', 'rejection', 'bulwark', () => settle(bFull.execute(work)));
  add('bulkhead', 'rejection', 'cockatiel', () => settle(cFull.execute(work)));

  // Rate limiter admission: a limit far above the call rate, so every call is admitted.
  const bLimiter = bw.rateLimit({ limits: bw.tokenBucket({ rate: BIG }) });
  const boLimiter = new Bottleneck({
    reservoir: BIG,
    reservoirRefreshAmount: BIG,
    reservoirRefreshInterval: 1_000,
  });
  disposers.push(() => boLimiter.disconnect());
  add('rate limiter', 'success', 'bulwark', () => bLimiter.execute(work));
  add('rate limiter', 'success', 'bottleneck', () => boLimiter.schedule(work));
  const bLimited = bw.rateLimit({ limits: bw.tokenBucket({ rate: 1, per: BIG }), mode: 'reject' });
  void settle(bLimited.execute(work));
  add('rate limiter', 'rejection', 'bulwark', () => settle(bLimited.execute(work)));

  // Fallback.
  const bFallback = bw.fallback({ fallback: () => 0 });
  const cFallback = ck.fallback(ck.handleAll, 0);
  add('fallback', 'success', 'bulwark', () => bFallback.execute(work));
  add('fallback', 'success', 'cockatiel', () => cFallback.execute(work));
  add('fallback', 'failure', 'bulwark', () => bFallback.execute(fail));
  add('fallback', 'failure', 'cockatiel', () => cFallback.execute(fail));

  // Policies without a peer equivalent.
  const bThrottle = bw.adaptiveThrottle();
  add('adaptive throttle', 'success', 'bulwark', () => bThrottle.execute(work));
  const bHedge = bw.hedge({ delay: TEN_S });
  add('hedge', 'success', 'bulwark', () => bHedge.execute(work));

  // Compositions.
  const bRetryTimeout = bw.pipeline(bw.retry(), bw.timeout(TEN_S));
  const cRetryTimeout = ck.wrap(
    ck.retry(ck.handleAll, { maxAttempts: 2, backoff: new ck.ExponentialBackoff() }),
    ck.timeout(TEN_S, ck.TimeoutStrategy.Aggressive),
  );
  add('retry + timeout', 'success', 'bulwark', () => bRetryTimeout.execute(work));
  add('retry + timeout', 'success', 'cockatiel', () => cRetryTimeout.execute(work));

  const bFour = bw.pipeline(
    bw.retry(),
    bw.circuitBreaker(),
    bw.timeout(TEN_S),
    bw.bulkhead({ maxConcurrent: 10, maxQueue: 10 }),
  );
  const cFour = ck.wrap(
    ck.retry(ck.handleAll, { maxAttempts: 2, backoff: new ck.ExponentialBackoff() }),
    cBreaker(),
    ck.timeout(TEN_S, ck.TimeoutStrategy.Aggressive),
    ck.bulkhead(10, 10),
  );
  add('retry, breaker, timeout, bulkhead', 'success', 'bulwark', () => bFour.execute(work));
  add('retry, breaker, timeout, bulkhead', 'success', 'cockatiel', () => cFour.execute(work));

  const five = (failing: boolean) =>
    bw.pipeline(
      failing ? bw.retry({ handle: () => false }) : bw.retry(),
      failing ? bw.circuitBreaker({ strategy: bw.consecutive(BIG) }) : bw.circuitBreaker(),
      bw.timeout(TEN_S),
      bw.bulkhead({ maxConcurrent: 10, maxQueue: 10 }),
      bw.rateLimit({ limits: bw.tokenBucket({ rate: BIG }) }),
    );
  const bFive = five(false);
  const bFiveFailing = five(true);
  add('five-policy pipeline', 'success', 'bulwark', () => bFive.execute(work));
  add('five-policy pipeline', 'failure', 'bulwark', () => settle(bFiveFailing.execute(fail)));
  // The same pipeline instrumented by @bulwark/opentelemetry (instrumented.ts).
  addInstrumented(add, five, disposers);

  return {
    list,
    async dispose() {
      for (const dispose of disposers) await dispose();
    },
  };
}
