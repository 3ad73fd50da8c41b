/**
 * Memory held by many per-key policies (one breaker or limiter per tenant, host or model): retained heap per
 * key, measured as the heap growth after a full collection.
 */
import { getHeapStatistics } from 'node:v8';
import * as bw from '@bulwark/core';
import Bottleneck from 'bottleneck';
import * as ck from 'cockatiel';
import CircuitBreaker from 'opossum';
import { work } from './work.js';

export interface MemoryRow {
  readonly subject: string;
  readonly library: string;
  readonly keys: number;
  /** Retained bytes per key. */
  readonly bytesPerKey: number;
  /** Time to create every key (ms). */
  readonly buildMs: number;
}

function collect(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return getHeapStatistics().used_heap_size;
}

interface Population {
  /** Creates (and uses once) every key; returns something holding them all. */
  build(keys: readonly string[]): Promise<unknown>;
  /** Frees timers or connections the population keeps. */
  dispose?(held: unknown): Promise<void> | void;
}

async function retained(
  subject: string,
  library: string,
  keys: readonly string[],
  population: Population,
): Promise<MemoryRow> {
  const before = collect();
  const started = performance.now();
  const held = await population.build(keys);
  const buildMs = performance.now() - started;
  const after = collect();
  await population.dispose?.(held);
  // Keep `held` reachable until after the second reading.
  void (held as { length?: number }).length;
  return { subject, library, keys: keys.length, bytesPerKey: (after - before) / keys.length, buildMs };
}

export async function runMemory(count: number): Promise<MemoryRow[]> {
  const keys = Array.from({ length: count }, (_, i) => `tenant-${i}`);
  const rows: MemoryRow[] = [];

  rows.push(
    await retained('circuit breaker per key', 'bulwark keyedPolicy', keys, {
      async build(list) {
        const registry = bw.keyedPolicy(() => bw.circuitBreaker(), { maxKeys: list.length });
        for (const key of list) await registry.execute(key, work);
        return registry;
      },
    }),
  );
  rows.push(
    await retained('circuit breaker per key', 'cockatiel', keys, {
      async build(list) {
        const map = new Map<string, ck.CircuitBreakerPolicy>();
        for (const key of list) {
          const breaker = ck.circuitBreaker(ck.handleAll, {
            halfOpenAfter: 10_000,
            breaker: new ck.ConsecutiveBreaker(5),
          });
          map.set(key, breaker);
          await breaker.execute(work);
        }
        return map;
      },
    }),
  );
  rows.push(
    await retained('circuit breaker per key', 'opossum', keys, {
      async build(list) {
        const map = new Map<string, CircuitBreaker>();
        for (const key of list) {
          const breaker = new CircuitBreaker(work, { timeout: false });
          map.set(key, breaker);
          await breaker.fire();
        }
        return map;
      },
      dispose(held) {
        for (const breaker of (held as Map<string, CircuitBreaker>).values()) breaker.shutdown();
      },
    }),
  );
  rows.push(
    await retained('rate limiter per key', 'bulwark rateLimit({ key })', keys, {
      async build(list) {
        const limiter = bw.rateLimit({ limits: bw.tokenBucket({ rate: 10 }), mode: 'reject' });
        for (const key of list) await limiter.execute(work, { key });
        return limiter;
      },
    }),
  );
  rows.push(
    await retained('rate limiter per key', 'bulwark keyedPolicy', keys, {
      async build(list) {
        const registry = bw.keyedPolicy(
          () => bw.rateLimit({ limits: bw.tokenBucket({ rate: 10 }), mode: 'reject' }),
          { maxKeys: list.length },
        );
        for (const key of list) await registry.execute(key, work);
        return registry;
      },
    }),
  );
  rows.push(
    await retained('rate limiter per key', 'bottleneck Group', keys, {
      async build(list) {
        const group = new Bottleneck.Group({
          reservoir: 10,
          reservoirRefreshAmount: 10,
          reservoirRefreshInterval: 1_000,
        });
        // Bottleneck starts each job on a timer: create the keys concurrently, or 10,000 keys take a minute.
        await Promise.all(list.map((key) => group.key(key).schedule(work)));
        return group;
      },
      async dispose(held) {
        const group = held as Bottleneck.Group;
        await Promise.all(group.limiters().map(({ limiter }) => limiter.disconnect()));
        await group.disconnect();
      },
    }),
  );
  return rows;
}
