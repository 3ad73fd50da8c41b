import {
  type AcquireRequest,
  type AcquireResult,
  type AdjustRequest,
  MemoryRateLimitStore,
  type PauseRequest,
  type RateLimitStore,
  type ReadRequest,
  type ReadResult,
} from '@bulwark/core/store';
import type { VirtualClock } from '@bulwark/core/testing';

/**
 * How the controlled store answers from now on:
 * - `ok`: a promise of the in-memory store's answer (with `at`, as a store with a clock of its own);
 * - `sync`: the in-memory store's answer itself;
 * - `hang`: a promise that settles only when the test calls `release()` or `fail()`;
 * - `reject` / `throw`: a rejected promise / a synchronous throw;
 * - `slow`: the answer after `slowMs` on the virtual clock.
 */
export type Behaviour = 'ok' | 'sync' | 'hang' | 'reject' | 'throw' | 'slow';

type Operation = 'acquire' | 'adjust' | 'pause' | 'read';

/** A held call of a hanging store: settle it late, as a stalled server would. */
interface Held {
  readonly operation: Operation;
  answer(): void;
  fail(error: unknown): void;
}

/**
 * An in-process RateLimitStore whose answers the test controls (hang, reject, slow, recover) on a virtual clock,
 * deciding underneath with core's MemoryRateLimitStore. It counts the calls per operation and the calls in flight.
 */
export class ControlledStore implements RateLimitStore {
  behaviour: Behaviour = 'ok';
  slowMs = 1000;
  readonly memory = new MemoryRateLimitStore();
  readonly calls: Record<Operation, number> = { acquire: 0, adjust: 0, pause: 0, read: 0 };
  inFlight = 0;
  /** Timers of slow answers still pending on the virtual clock (the store's own, not the guard's). */
  slowTimers = 0;
  maxInFlight = 0;
  readonly held: Held[] = [];
  /** Requests as the store received them (acquire only). */
  readonly acquired: AcquireRequest[] = [];

  constructor(private readonly clock: VirtualClock) {}

  acquire(request: AcquireRequest): AcquireResult | Promise<AcquireResult> {
    this.acquired.push(request);
    return this.answer('acquire', () => {
      const at = this.clock.now();
      const result = this.memory.acquire({ ...request, now: at });
      return result.admitted ? { admitted: true, at } : { ...result, at };
    });
  }

  adjust(request: AdjustRequest): void | Promise<void> {
    return this.answer('adjust', () => this.memory.adjust({ ...request, now: this.clock.now() }));
  }

  pause(request: PauseRequest): void | Promise<void> {
    return this.answer('pause', () => this.memory.pause({ ...request, now: this.clock.now() }));
  }

  read(request: ReadRequest): ReadResult | Promise<ReadResult> {
    return this.answer('read', () => this.memory.read({ ...request, now: this.clock.now() }));
  }

  /** Settles every held call with its answer. */
  release(): void {
    for (const held of this.held.splice(0)) held.answer();
  }

  /** Settles every held call with `error`. */
  fail(error: unknown = new Error('late failure')): void {
    for (const held of this.held.splice(0)) held.fail(error);
  }

  private answer<T>(operation: Operation, decide: () => T): T | Promise<T> {
    this.calls[operation]++;
    switch (this.behaviour) {
      case 'sync':
        return decide();
      case 'throw':
        throw new Error(`${operation}: connection refused`);
      case 'reject':
        return Promise.reject(new Error(`${operation}: connection refused`));
      case 'ok':
        return this.track(Promise.resolve().then(decide));
      case 'slow':
        return this.track(
          new Promise<T>((resolve) => {
            this.slowTimers++;
            this.clock.setTimer(() => {
              this.slowTimers--;
              resolve(decide());
            }, this.slowMs);
          }),
        );
      case 'hang':
        return this.track(
          new Promise<T>((resolve, reject) => {
            this.held.push({ operation, answer: () => resolve(decide()), fail: reject });
          }),
        );
    }
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const done = () => {
      this.inFlight--;
    };
    promise.then(done, done);
    return promise;
  }
}
