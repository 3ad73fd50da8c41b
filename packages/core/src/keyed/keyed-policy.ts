import type { Clock, TimerHandle } from '../clock.js';
import { InvalidOptionError } from '../errors.js';
import type { PolicyEventName, PolicyEvents, Unsubscribe } from '../events.js';
import {
  clockOf,
  describe,
  optionalFunction,
  optionsOf,
  orDefault,
  requireFunction,
  requireInteger,
  requirePositive,
} from '../internal/validate.js';
import { type AnyPolicy, type ExecuteOptions, type Policy, RUN, type Task } from '../policy.js';

/** Why a key's policy left the registry. */
export type EvictionReason = 'lru' | 'idle' | 'deleted' | 'cleared';

export interface KeyedPolicyOptions<P, K> {
  /**
   * Most keys kept. Building a new key beyond it evicts the least recently used key that has no execution in
   * flight (keys in use are never evicted, so the registry may exceed it while they run). Default 1000.
   */
  readonly maxKeys?: number;
  /** Evicts a key unused for this long (ms) with nothing in flight. Default: no idle eviction. */
  readonly idleTtl?: number;
  /** Called with each policy the factory builds, before it is used. */
  readonly onCreate?: (policy: P, key: K) => void;
  /** Called with each policy that leaves the registry (evicted, deleted or cleared). */
  readonly onEvict?: (policy: P, key: K, reason: EvictionReason) => void;
  readonly clock?: Clock;
}

type OutOf<P> = P extends Policy<infer O, any> ? O : never;
type EventsOf<P> = P extends Policy<any, infer E> ? E : never;

/** A listener attached to every key's policy: the event's payload, then the key whose policy emitted it. */
export type KeyedListener<E extends PolicyEventName, K> = (payload: PolicyEvents[E][0], key: K) => void;

interface Subscription {
  readonly event: PolicyEventName;
  readonly listener: (payload: never, key: never) => void;
}

/** One key's policy, its activity and its listeners. */
class Entry<P extends AnyPolicy, K> {
  inFlight = 0;
  /** Removers of the registry-wide listeners attached to this policy. */
  readonly removers = new Map<Subscription, Unsubscribe>();

  constructor(
    readonly key: K,
    readonly policy: P,
    public lastUsed: number,
  ) {}
}

const UNREF = { unref: true } as const;

/**
 * Builds and caches one policy (or pipeline) per key: per model, host or tenant. Memory stays bounded: at most
 * `maxKeys` keys (least recently used evicted first) and, with `idleTtl`, keys unused for that long go away.
 * A key with executions in flight is never evicted, so every execution of a key sees one policy instance.
 */
export class KeyedPolicy<P extends AnyPolicy, K = string> {
  readonly maxKeys: number;
  readonly idleTtl: number | undefined;
  private readonly factory: (key: K) => P;
  private readonly onCreate: ((policy: P, key: K) => void) | undefined;
  private readonly onEvict: ((policy: P, key: K, reason: EvictionReason) => void) | undefined;
  private readonly clock: Clock;
  /** In least-recently-used-first order: every use moves the key to the end. */
  private readonly entries = new Map<K, Entry<P, K>>();
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

  /** Keys currently held, least recently used first. */
  keys(): K[] {
    this.sweep();
    return [...this.entries.keys()];
  }

  /** The policy for `key`, built by the factory on first use. */
  get(key: K): P {
    return this.acquire(key).policy;
  }

  /** Runs `fn` under `key`'s policy. The key cannot be evicted until the execution settles. */
  execute<R>(key: K, fn: Task<R>, options?: ExecuteOptions): Promise<R | OutOf<P>> {
    let entry: Entry<P, K>;
    let pending: Promise<R | OutOf<P>>;
    try {
      entry = this.acquire(key);
      entry.inFlight++;
      try {
        pending = entry.policy.execute(fn, options) as Promise<R | OutOf<P>>;
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
    const subscription: Subscription = { event, listener: listener as Subscription['listener'] };
    this.subscriptions.add(subscription);
    for (const entry of this.entries.values()) this.attach(entry, subscription);
    return () => {
      if (!this.subscriptions.delete(subscription)) return;
      for (const entry of this.entries.values()) {
        entry.removers.get(subscription)?.();
        entry.removers.delete(subscription);
      }
    };
  }

  private acquire(key: K): Entry<P, K> {
    this.sweep();
    const now = this.now();
    const found = this.entries.get(key);
    if (found !== undefined) {
      this.touch(found, now);
      return found;
    }
    const policy = this.factory(key);
    if (typeof (policy as Partial<AnyPolicy> | undefined)?.[RUN] !== 'function') {
      throw new InvalidOptionError(
        'factory',
        `expected it to return a Bulwark policy, got ${describe(policy)}`,
      );
    }
    this.onCreate?.(policy, key);
    // Make room first, so the key being built can never be the one evicted.
    this.shrinkTo(this.maxKeys - 1, now);
    const entry = new Entry(key, policy, now);
    this.entries.set(key, entry);
    for (const subscription of this.subscriptions) this.attach(entry, subscription);
    this.armSweep();
    return entry;
  }

  private settled(entry: Entry<P, K>): void {
    entry.inFlight--;
    if (this.entries.get(entry.key) !== entry) return;
    this.touch(entry, this.now());
    // Keys kept only because they were busy can go now.
    if (this.entries.size > this.maxKeys) this.shrinkTo(this.maxKeys, this.now());
  }

  /** Marks a use: the key moves to the most recently used end. */
  private touch(entry: Entry<P, K>, now: number): void {
    entry.lastUsed = now;
    this.entries.delete(entry.key);
    this.entries.set(entry.key, entry);
  }

  /** Evicts least recently used idle keys until at most `limit` remain (busy keys are skipped). */
  private shrinkTo(limit: number, now: number): void {
    let budget = this.entries.size;
    while (this.entries.size > limit && budget-- > 0) {
      const oldest = this.entries.values().next().value as Entry<P, K>;
      // A key in use is recent by definition: move it out of the way instead of scanning past it each time.
      if (oldest.inFlight > 0) this.touch(oldest, now);
      else this.evict(oldest, 'lru');
    }
  }

  /** Evicts keys idle for idleTtl or more; oldest first, so it stops at the first key still fresh. */
  private sweep(): void {
    const ttl = this.idleTtl;
    if (ttl === undefined || this.entries.size === 0) return;
    const now = this.now();
    let budget = this.entries.size;
    while (budget-- > 0) {
      const oldest = this.entries.values().next().value as Entry<P, K> | undefined;
      if (oldest === undefined || oldest.lastUsed + ttl > now) break;
      if (oldest.inFlight > 0) this.touch(oldest, now);
      else this.evict(oldest, 'idle');
    }
  }

  private evict(entry: Entry<P, K>, reason: EvictionReason): void {
    this.entries.delete(entry.key);
    for (const remove of entry.removers.values()) remove();
    entry.removers.clear();
    if (this.entries.size === 0) this.disarmSweep();
    this.onEvict?.(entry.policy, entry.key, reason);
  }

  private attach(entry: Entry<P, K>, subscription: Subscription): void {
    const { key } = entry;
    const listener = subscription.listener as (payload: unknown, key: K) => void;
    const remove = entry.policy.on(subscription.event, (payload: unknown) => listener(payload, key));
    entry.removers.set(subscription, remove);
  }

  /** One background timer for idle eviction, due when the least recently used key would expire. */
  private armSweep(): void {
    const ttl = this.idleTtl;
    if (ttl === undefined || this.sweepTimer !== undefined) return;
    const oldest = this.entries.values().next().value as Entry<P, K> | undefined;
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
 */
export function keyedPolicy<P extends AnyPolicy, K = string>(
  factory: (key: K) => P,
  options?: KeyedPolicyOptions<P, K>,
): KeyedPolicy<P, K> {
  return new KeyedPolicy(factory, options);
}
