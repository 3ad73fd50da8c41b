import type {
  AcquireRequest,
  AcquireResult,
  AdjustRequest,
  PauseRequest,
  RateLimitScope,
  RateLimitStore,
  ReadRequest,
  ReadResult,
  RelimitRequest,
} from '@bulwark/core/store';
import { requireMethods } from '@bulwark/core/validate';
import { StoreUnavailableError } from './errors.js';
import {
  type GuardedStoreEmitter as Emitter,
  GuardedStoreEmitter,
  type GuardedStoreEvents,
} from './events.js';
import { LocalFallback } from './fallback.js';
import { type GuardSettings, type GuardStoreOptions, guardSettings, type StoreErrorMode } from './options.js';
import { Outage } from './outage.js';
import { answerWithin, isThenable } from '../timed-call.js';

const STORE_METHODS = ['acquire', 'adjust', 'pause', 'read'] as const;

/**
 * The request sent to the store for an admission that records marks. It carries marks of its own, copied to the
 * caller's on a timely admission: a store answering after its timeout would otherwise write its marks over those
 * of the fallback's admission the caller got instead.
 */
class MarkedAcquire implements AcquireRequest {
  readonly scope: RateLimitScope;
  readonly key: string;
  readonly costs: readonly number[];
  readonly now: number;
  readonly marks: number[];

  constructor(request: AcquireRequest) {
    this.scope = request.scope;
    this.key = request.key;
    this.costs = request.costs;
    this.now = request.now;
    this.marks = new Array<number>(request.costs.length);
  }
}

/**
 * A RateLimitStore that keeps its callers going when the store it wraps (a Redis store) fails: every call has a
 * timeout, a failure switches every call to the fallback chosen by `onStoreError` (see StoreErrorMode) and emits
 * `unavailable`, probes bring the store back (`recovered`). While the store is up, each call costs what the
 * store's call costs, plus one timer while it is pending.
 *
 * While down, per operation (`local` / `admit` / `refuse`):
 * - acquire: the local limits / admitted unless paused / StoreUnavailableError thrown;
 * - read: the local state / no usage, the local pauses / StoreUnavailableError thrown;
 * - pause: applied locally in every mode (every pause is, up or down), never rejected;
 * - adjust of an admission the store made: lost (a refund not given back is conservative; a charge not recorded
 *   lets the local limits, which never saw it, admit that much more) / lost / rejected with StoreUnavailableError.
 *   An adjust of an admission the fallback made goes to the fallback, down or not.
 */
export class GuardedRateLimitStore implements RateLimitStore {
  /** The guard's eventemitter3 instance: `unavailable` and `recovered`. */
  readonly events: Emitter = new GuardedStoreEmitter();
  /** Names the store in events and errors: {@link GuardStoreOptions.name} (default `'store'`). */
  readonly name: string;
  /** Longest wait for one answer of the store (ms): {@link GuardStoreOptions.callTimeoutMs} (default 250). */
  readonly callTimeoutMs: number;
  /** What calls get while the store is down: {@link GuardStoreOptions.onStoreError} (default `'local'`). */
  readonly mode: StoreErrorMode;
  private readonly settings: GuardSettings;
  private readonly outage: Outage;
  private readonly fallback: LocalFallback;
  private readonly unavailable = (): StoreUnavailableError =>
    new StoreUnavailableError(this.name, this.outage.cause, this.outage.retryAfter());

  /**
   * Prefer {@link guardStore}, which builds one.
   * @param primary The store guarded (e.g. a Redis store); a value without the store's methods throws `InvalidOptionError`.
   * @param options See {@link GuardStoreOptions}; a bad value throws `InvalidOptionError` naming it.
   */
  constructor(
    readonly primary: RateLimitStore,
    options?: GuardStoreOptions,
  ) {
    requireMethods('store', primary, STORE_METHODS, 'a RateLimitStore');
    this.settings = guardSettings(options);
    this.name = this.settings.name;
    this.callTimeoutMs = this.settings.callTimeoutMs;
    this.mode = this.settings.mode;
    this.outage = new Outage(this.settings, primary, this.events);
    this.fallback = new LocalFallback(this.settings);
  }

  /** False while the store is down (from its first failure until a probe gets an answer). */
  get available(): boolean {
    return !this.outage.down;
  }

  /** Listens to an event; returns the function that stops listening. */
  on<K extends keyof GuardedStoreEvents>(
    event: K,
    listener: (...args: GuardedStoreEvents[K]) => void,
  ): () => void {
    this.events.on(event, listener as never);
    return () => {
      this.events.off(event, listener as never);
    };
  }

  /** Stops probing a store that is down (for shutdown); calls keep going where they went. */
  close(): void {
    this.outage.close();
  }

  acquire(request: AcquireRequest): AcquireResult | Promise<AcquireResult> {
    const outage = this.outage;
    if (outage.down) return this.fallback.acquire(request, this.unavailable);
    const epoch = outage.epoch;
    const marks = request.marks;
    const sent = marks === undefined ? request : new MarkedAcquire(request);
    const clock = this.settings.clock;
    const asked = clock.now();
    return this.send(
      sent,
      ACQUIRE,
      (result) => {
        if (marks !== undefined && result.admitted) copy((sent as MarkedAcquire).marks, marks);
        return result;
      },
      (error) => {
        outage.failed(epoch, 'acquire', error, request.scope, request.key);
        // The caller's time now: its request's, plus the time the store was given.
        return this.fallback.acquire(request, this.unavailable, request.now + (clock.now() - asked));
      },
    );
  }

  adjust(request: AdjustRequest): void | Promise<void> {
    if (this.fallback.owns(request.admission)) return this.fallback.adjust(request);
    const outage = this.outage;
    if (outage.down) return this.lost();
    const epoch = outage.epoch;
    return this.send(request, ADJUST, ignore, (error) => {
      outage.failed(epoch, 'adjust', error, request.scope, request.key);
      this.lost();
    });
  }

  pause(request: PauseRequest): void | Promise<void> {
    this.fallback.pause(request);
    const outage = this.outage;
    if (outage.down) return;
    const epoch = outage.epoch;
    return this.send(request, PAUSE, ignore, (error) => {
      outage.failed(epoch, 'pause', error, request.scope, request.key ?? '');
    });
  }

  /**
   * The local limits take the new numbers at once; the store converts its usage too when it can (a store without
   * `relimit` keeps it as it is). A relimit the store misses (down, failing) is lost, like an adjust: its usage
   * keeps its time to drain instead of its amount.
   */
  relimit(request: RelimitRequest): void | Promise<void> {
    this.fallback.relimit(request);
    const outage = this.outage;
    if (this.primary.relimit === undefined || outage.down) return;
    const epoch = outage.epoch;
    return this.send(request, RELIMIT, ignore, (error) => {
      outage.failed(epoch, 'relimit', error, request.scope, '');
    });
  }

  read(request: ReadRequest): ReadResult | Promise<ReadResult> {
    const outage = this.outage;
    if (outage.down) return this.fallback.read(request, this.unavailable);
    const epoch = outage.epoch;
    const clock = this.settings.clock;
    const asked = clock.now();
    return this.send(request, READ, same, (error) => {
      outage.failed(epoch, 'read', error, request.scope, request.key);
      return this.fallback.read(request, this.unavailable, request.now + (clock.now() - asked));
    });
  }

  /**
   * Sends one call to the store: its answer through `answered` if it comes (synchronously, or within
   * callTimeoutMs), otherwise what `failed` makes of the failure (a throw, a rejection, a core TimeoutError).
   */
  private send<Q, T, R>(
    request: Q,
    call: (store: RateLimitStore, request: Q) => T | PromiseLike<T>,
    answered: (value: T) => R,
    failed: (error: unknown) => R,
  ): R | Promise<R> {
    let answer: T | PromiseLike<T>;
    try {
      answer = call(this.primary, request);
    } catch (error) {
      return failed(error);
    }
    if (!isThenable(answer)) return answered(answer);
    return answerWithin(answer, this.callTimeoutMs, this.settings.clock, undefined, answered, failed);
  }

  /** An adjust the store could not record: accepted as lost, except under `refuse`. */
  private lost(): void {
    if (this.mode === 'refuse') throw this.unavailable();
  }
}

const ACQUIRE = (store: RateLimitStore, request: AcquireRequest) => store.acquire(request);
const ADJUST = (store: RateLimitStore, request: AdjustRequest) => store.adjust(request);
const PAUSE = (store: RateLimitStore, request: PauseRequest) => store.pause(request);
const READ = (store: RateLimitStore, request: ReadRequest) => store.read(request);
const RELIMIT = (store: RateLimitStore, request: RelimitRequest) => store.relimit?.(request);

function copy(from: readonly number[], to: number[]): void {
  for (let i = 0; i < from.length; i++) to[i] = from[i]!;
}

function ignore(): void {}

function same<T>(value: T): T {
  return value;
}

/**
 * Wraps a RateLimitStore (a Redis store) so that a slow or failed store costs each call at most `callTimeoutMs`,
 * and calls get the `onStoreError` fallback until the store answers again. Pass the result to `rateLimit({ store })`.
 * @throws `InvalidOptionError` (from `@bulwark/core`) naming the option, for an invalid option, when it is called
 * (never on a later call). Also when `store` lacks a store's methods.
 */
export function guardStore(store: RateLimitStore, options?: GuardStoreOptions): GuardedRateLimitStore {
  return new GuardedRateLimitStore(store, options);
}
