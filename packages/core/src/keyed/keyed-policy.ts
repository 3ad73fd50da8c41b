import type { Clock, TimerHandle } from '../clock.js';
import { InvalidOptionError } from '../errors.js';
import type { PolicyEventName, PolicyEvents, Unsubscribe } from '../events.js';
import { RootContext } from '../internal/root-context.js';
import {
  clockOf,
  invalid,
  optionalFunction,
  optionsOf,
  orDefault,
  requireFunction,
  requireInteger,
  requirePositive,
} from '../internal/validate.js';
import {
  type AnyPolicy,
  callTask,
  type ExecuteOptions,
  type Policy,
  RUN,
  startExecution,
  type Task,
} from '../policy.js';
import { Entry, type Subscription } from './key-entry.js';
import type { EvictionReason, KeyedPolicyOptions } from './options.js';

/**
 * What the per-key policy may return instead of the function's result.
 * @inline
 */
type OutOf<P> = P extends Policy<infer O, any> ? O : never;
/**
 * The events the per-key policy emits.
 * @inline
 */
type EventsOf<P> = P extends Policy<any, infer E> ? E : never;

/** A listener attached to every key's policy: the event's payload, then the key whose policy emitted it. */
export type KeyedListener<E extends PolicyEventName, K> = (payload: PolicyEvents[E][0], key: K) => void;

const UNREF = { unref: true } as const;

/**
 * Builds and caches one policy (or pipeline) per key: per model, host or tenant. Memory stays bounded: at most
 * `maxKeys` keys (least recently used evicted first) and, with `idleTtl`, keys unused for that long go away.
 * A key with executions in flight is never evicted, so every execution of a key sees one policy instance.
 */
export class KeyedPolicy<P extends AnyPolicy, K = string> {
  /** Most keys kept: {@link KeyedPolicyOptions.maxKeys} (default 1000). */
  declare readonly maxKeys: number;
  /** Idle time (ms) after which an unused key is evicted; undefined for none: {@link KeyedPolicyOptions.idleTtl}. */
  declare readonly idleTtl: number | undefined;
  declare private readonly factory: (key: K) => P;
  declare private readonly onCreate: ((policy: P, key: K) => void) | undefined;
  declare private readonly onEvict: ((policy: P, key: K, reason: EvictionReason) => void) | undefined;
  declare private readonly clock: Clock;
  /** Every key held. */
  private readonly entries = new Map<K, Entry<P, K>>();
  /**
   * The keys with nothing in flight, least recently used first: the only eviction candidates. A key leaves it when
   * an execution starts and comes back at the most recent end when its last one settles, so acquire, settle and
   * eviction never walk past busy keys.
   */
  private readonly idle = new Map<K, Entry<P, K>>();
  private readonly subscriptions = new Set<Subscription>();
  private sweepTimer: TimerHandle | undefined = undefined;
  /** Latest time seen: a wall clock stepping back must not break the recency order. */
  private latest = Number.NEGATIVE_INFINITY;

  constructor(factory: (key: K) => P, options?: KeyedPolicyOptions<P, K>) {
    this.factory = requireFunction('factory', factory);
    const o = optionsOf(options);
    this.maxKeys = requireInteger('maxKeys', orDefault(o.maxKeys, 1000), 1);
    this.idleTtl =
      o.idleTtl === undefined || o.idleTtl === Number.POSITIVE_INFINITY
        ? undefined
        : requirePositive('idleTtl', o.idleTtl);
    this.onCreate = optionalFunction('onCreate', o.onCreate);
    this.onEvict = optionalFunction('onEvict', o.onEvict);
    this.clock = clockOf(o.clock);
  }

  /** Keys currently held. */
  get size(): number {
    return this.entries.size;
  }

  /** True when `key` has a policy now (does not count as a use). */
  has(key: K): boolean {
    this.sweep();
    return this.entries.has(key);
  }

  /** Keys currently held: those with nothing in flight least recently used first, then those in use. */
  keys(): K[] {
    this.sweep();
    const keys = [...this.idle.keys()];
    for (const entry of this.entries.values()) if (entry.inFlight > 0) keys.push(entry.key);
    return keys;
  }

  /** The policy for `key`, built by the factory on first use. */
  get(key: K): P {
    return this.acquire(key, false).policy;
  }

  /** Runs `fn` under `key`'s policy. The key cannot be evicted until the execution settles. */
  execute<R>(key: K, fn: Task<R>, options?: ExecuteOptions): Promise<R | OutOf<P>> {
    const context = startExecution(fn, options);
    if (!(context instanceof RootContext)) return Promise.reject(context);
    if (context.aborted) return Promise.reject(context.reason);
    let entry: Entry<P, K>;
    let pending: Promise<R | OutOf<P>>;
    try {
      entry = this.acquire(key, true);
      try {
        // Run inside the entry as a slot holder, so work outliving its caller keeps the key (see Entry).
        pending = context.finish(
          Promise.resolve(entry.policy[RUN](context, callTask, entry.holders)),
        ) as Promise<R | OutOf<P>>;
      } catch (error) {
        this.settled(entry);
        throw error;
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return pending.then(
      (value) => {
        this.settled(entry);
        return value;
      },
      (error: unknown) => {
        this.settled(entry);
        throw error;
      },
    );
  }

  /**
   * Removes `key` now, even with executions in flight (they finish on the old policy; the next use builds a new
   * one). Returns whether the key was held.
   */
  delete(key: K): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.evict(entry, 'deleted');
    return true;
  }

  /** Removes every key and stops the idle timer. */
  clear(): void {
    for (const entry of [...this.entries.values()]) this.evict(entry, 'cleared');
  }

  /**
   * Listens to `event` on every key's policy, current and future; the listener also gets the key. Returns a
   * function that removes it from all of them.
   */
  on<E extends EventsOf<P>>(event: E, listener: KeyedListener<E, K>): Unsubscribe {
    return this.attach((policy, key) =>
      policy.on(event as PolicyEventName, (payload: unknown) =>
        (listener as (payload: unknown, key: K) => void)(payload, key),
      ),
    );
  }

  /**
   * Runs `setup(policy, key)` for every key's policy: at once for the keys held now, then for each policy the
   * factory builds. What `setup` returns (a function) is called when that key leaves the registry or when the
   * returned remover is called, whichever comes first; evicted policies are detached. For what a key's policy
   * should carry while it is in the registry (listeners of your own, instrumentation). An error `setup` throws is
   * thrown by `attach` (nothing stays attached) or by the `get`/`execute` that built the key (the key is not kept).
   */
  attach(setup: (policy: P, key: K) => Unsubscribe | void): Unsubscribe {
    requireFunction('setup', setup);
    const subscription: Subscription = { attach: setup as Subscription['attach'] };
    this.subscriptions.add(subscription);
    const remove = (): void => {
      if (!this.subscriptions.delete(subscription)) return;
      for (const entry of this.entries.values()) entry.unlisten(subscription);
    };
    try {
      for (const entry of this.entries.values()) entry.listen(subscription);
    } catch (error) {
      remove();
      throw error;
    }
    return remove;
  }

  /**
   * The key's entry, built on first use. For a run (`execute`), the entry leaves the idle list and counts one more
   * execution in flight; otherwise (`get`) the use moves it to the most recently used end of the idle list.
   */
  private acquire(key: K, run: boolean): Entry<P, K> {
    this.sweep();
    const found = this.entries.get(key);
    if (found !== undefined) {
      if (found.inFlight === 0) {
        this.idle.delete(key);
        if (!run) {
          found.lastUsed = this.now();
          this.idle.set(key, found);
        }
      }
      if (run) {
        found.inFlight++;
        // An idle key that get() built while every other key was busy goes as soon as another one runs.
        if (this.entries.size > this.maxKeys) this.shrinkTo(this.maxKeys);
      }
      return found;
    }
    const policy = this.factory(key);
    if (typeof (policy as Partial<AnyPolicy> | undefined)?.[RUN] !== 'function') {
      throw invalid('factory', 'it to return a Bulwark policy', policy);
    }
    this.onCreate?.(policy, key);
    // Make room first, so the key being built can never be the one evicted.
    this.shrinkTo(this.maxKeys - 1);
    const entry = new Entry(key, policy, this.now(), this.settledEntry);
    try {
      for (const subscription of this.subscriptions) entry.listen(subscription);
    } catch (error) {
      // An attach() setup threw: the key is not built, as when the factory throws.
      entry.unlistenAll();
      throw error;
    }
    this.entries.set(key, entry);
    if (run) entry.inFlight = 1;
    else this.makeIdle(entry);
    return entry;
  }

  private readonly settledEntry = (entry: Entry<P, K>): void => {
    this.settled(entry);
  };

  private settled(entry: Entry<P, K>): void {
    if (--entry.inFlight === 0 && this.entries.get(entry.key) === entry) {
      entry.lastUsed = this.now();
      this.makeIdle(entry);
    }
    // Keys kept only because they were busy (or built by get while all others were) can go now.
    if (this.entries.size > this.maxKeys) this.shrinkTo(this.maxKeys);
  }

  /** Puts an entry with nothing in flight at the most recently used end of the idle list. */
  private makeIdle(entry: Entry<P, K>): void {
    this.idle.set(entry.key, entry);
    this.armSweep();
  }

  /**
   * Evicts least recently used idle keys until at most `limit` remain or none is idle. Busy keys are not in the
   * idle list, so each step evicts one key: no walk past keys in use.
   */
  private shrinkTo(limit: number): void {
    while (this.entries.size > limit) {
      const oldest = this.idle.values().next().value as Entry<P, K> | undefined;
      if (oldest === undefined) return;
      this.evict(oldest, 'lru');
    }
  }

  /** Evicts keys idle for idleTtl or more; the idle list is in last-use order, so it stops at the first fresh one. */
  private sweep(): void {
    const ttl = this.idleTtl;
    if (ttl === undefined || this.idle.size === 0) return;
    const now = this.now();
    for (;;) {
      const oldest = this.idle.values().next().value as Entry<P, K> | undefined;
      if (oldest === undefined || oldest.lastUsed + ttl > now) return;
      this.evict(oldest, 'idle');
    }
  }

  private evict(entry: Entry<P, K>, reason: EvictionReason): void {
    this.entries.delete(entry.key);
    this.idle.delete(entry.key);
    entry.unlistenAll();
    if (this.entries.size === 0) this.disarmSweep();
    this.onEvict?.(entry.policy, entry.key, reason);
  }

  /**
   * One background timer for idle eviction, due when the least recently used idle key would expire. It is not
   * cleared when that key starts running (that would cost a timer per call): it fires, finds nothing to evict and
   * waits for the next idle key.
   */
  private armSweep(): void {
    const ttl = this.idleTtl;
    if (ttl === undefined || this.sweepTimer !== undefined) return;
    const oldest = this.idle.values().next().value as Entry<P, K> | undefined;
    if (oldest === undefined) return;
    const wait = Math.max(0, oldest.lastUsed + ttl - this.now());
    this.sweepTimer = this.clock.setTimer(this.onSweepTimer, wait, UNREF);
  }

  private disarmSweep(): void {
    if (this.sweepTimer !== undefined) {
      this.clock.clearTimer(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }

  private readonly onSweepTimer = (): void => {
    this.sweepTimer = undefined;
    this.sweep();
    this.armSweep();
  };

  private now(): number {
    const now = this.clock.now();
    if (now > this.latest) this.latest = now;
    return this.latest;
  }
}

/**
 * A registry of policies per key: `keyedPolicy((model) => pipeline(retry(), rateLimit(...)), { maxKeys: 100 })`,
 * then `registry.execute('gemini-2.5-flash', fn)`.
 * @throws {@link InvalidOptionError} when `factory` is not a function or an option is invalid.
 */
export function keyedPolicy<P extends AnyPolicy, K = string>(
  factory: (key: K) => P,
  options?: KeyedPolicyOptions<P, K>,
): KeyedPolicy<P, K> {
  return new KeyedPolicy(factory, options);
}
