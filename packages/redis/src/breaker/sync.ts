import type {
  CircuitCloseCause,
  CircuitSync,
  Clock,
  ProbePermit,
  SharedCircuit,
  TimerHandle,
} from '@bulwark/core';
import { EventEmitter } from 'eventemitter3';
import type { RedisScript } from '../script.js';
import { answerWithin } from '../timed-call.js';
import {
  type RedisCircuitSyncOptions,
  type RedisCircuitSyncSettings,
  circuitSyncSettings,
} from './options.js';
import { type FleetRecord, parseGrant, parseRecord } from './record.js';
import {
  acquireProbe,
  closeCircuit,
  openCircuit,
  probeSucceeded,
  readCircuit,
  releaseProbe,
} from './scripts.js';

/** The Redis calls a sync makes, as named in its events. */
export type CircuitSyncOperation = 'read' | 'open' | 'close' | 'acquire' | 'release' | 'succeed';

/** The events of a {@link RedisCircuitSync} (eventemitter3): Redis became unreachable for it, and came back. */
export interface CircuitSyncEvents {
  /**
   * A Redis call failed or timed out while the sync was healthy: from now on the breaker decides on its own (its
   * transitions are published again once Redis answers). Emitted once per outage.
   */
  syncError: [
    {
      /** The circuit's name. */
      readonly name: string;
      /** The Redis call that failed. */
      readonly operation: CircuitSyncOperation;
      /** What it failed with: the client's error, or a core `TimeoutError`. */
      readonly error: unknown;
    },
  ];
  /** Redis answered again after a `syncError`; `downMs`: since the first failure. */
  syncRecovered: [
    {
      /** The circuit's name. */
      readonly name: string;
      /** How long Redis was unreachable for the sync (ms, since the first failure). */
      readonly downMs: number;
    },
  ];
}

const noop = (): void => {};
const ACQUIRE_BACKSTOP_MS = 100;

/**
 * A breaker's circuit shared through Redis with the breakers of the same `name` in other processes: pass it as the
 * breaker's `sync` option (one sync per breaker). See `redisCircuitSync`.
 *
 * How: each local transition is published by one script (open: the break's duration and count, timed by the
 * server; close: fenced, so a probe that succeeded cannot close a circuit that reopened meanwhile); a background
 * timer reads the record every `stalenessMs` and imposes any newer one on the local circuit; half-open probes take
 * a permit from a sorted set of leases, at most `halfOpenProbes` counting the probes that already succeeded; a
 * probe's success turns its permit into a fleet-wide success, and the fleet closes at `halfOpenProbes` of them.
 * Closed-state calls never touch Redis.
 */
export class RedisCircuitSync extends EventEmitter<CircuitSyncEvents> implements CircuitSync {
  /** The circuit's name in the fleet: {@link RedisCircuitSyncOptions.name}. */
  readonly name: string;
  /** How often the record is read (ms): {@link RedisCircuitSyncOptions.stalenessMs} (default 1 000). */
  readonly stalenessMs: number;
  /**
   * The breaker's own bound on a permit wait: a little over `timeoutMs`, since the sync's call gives up (and
   * reports it) at `timeoutMs`; this is only a backstop.
   */
  readonly acquireTimeoutMs: number;
  private readonly settings: RedisCircuitSyncSettings;
  private readonly clock: Clock;
  private circuit: SharedCircuit | undefined = undefined;
  /** The newest record version applied here or written from here: only a newer one is imposed. */
  private seen = 0;
  /** Local transitions so far: an answer to a call started before the latest one is stale. */
  private epoch = 0;
  /** The latest local transition, while Redis has not taken it: retried before the next read. */
  private unpublished: (() => Promise<void>) | undefined = undefined;
  private failingSince: number | undefined = undefined;
  private timer: TimerHandle | undefined = undefined;
  private disposed = false;
  private readonly permitPrefix = globalThis.crypto.randomUUID();
  private permits = 0;

  constructor(options: RedisCircuitSyncOptions) {
    super();
    this.settings = circuitSyncSettings(options);
    this.name = this.settings.name;
    this.stalenessMs = this.settings.stalenessMs;
    this.acquireTimeoutMs = this.settings.timeoutMs + ACQUIRE_BACKSTOP_MS;
    this.clock = this.settings.clock;
  }

  /** False from a failed Redis call until the next one that succeeds. */
  get healthy(): boolean {
    return this.failingSince === undefined;
  }

  /** Called by the breaker: reads the fleet's state at once, then every `stalenessMs`. */
  attach(circuit: SharedCircuit): void {
    if (this.circuit !== undefined)
      throw new Error(`redisCircuitSync "${this.name}" already serves a breaker`);
    if (this.disposed) return;
    this.circuit = circuit;
    void this.tick();
  }

  opened(durationMs: number, breaks: number): void {
    const epoch = ++this.epoch;
    const until = this.clock.now() + durationMs;
    this.publish(async () => {
      const sent = Math.max(0, Math.round(until - this.clock.now()));
      const record = await this.run(
        'open',
        openCircuit,
        [String(sent), String(breaks), this.keep],
        parseRecord,
      );
      if (epoch !== this.epoch) return;
      this.seen = Math.max(this.seen, record.gen);
      // Another process's break was longer, or further in its series: take it.
      if (record.state === 'open' && (record.remainingMs > sent || record.breaks !== breaks)) {
        this.circuit?.open(record.remainingMs, record.breaks);
      }
    });
  }

  closed(cause: CircuitCloseCause): void {
    const epoch = ++this.epoch;
    if (cause === 'released') {
      // Isolation is local: back from it, this process takes whatever the fleet's record says at the next read.
      this.seen = 0;
      this.unpublished = undefined;
      return;
    }
    this.publish(async () => {
      const record = await this.run(
        'close',
        closeCircuit,
        [cause, String(this.seen), this.keep],
        parseRecord,
      );
      if (epoch !== this.epoch) return;
      this.seen = Math.max(this.seen, record.gen);
      // The fence held: the circuit reopened elsewhere since this process's probes began.
      if (record.state === 'open') this.circuit?.open(record.remainingMs, record.breaks);
    });
  }

  /**
   * A fleet-wide permit for one probe, or undefined when the fleet's probes are taken or its break is not over
   * (the fleet's state is then imposed first). Rejects when Redis does not answer within `timeoutMs`: the breaker
   * then probes on its own.
   */
  async acquireProbe(): Promise<ProbePermit | undefined> {
    const circuit = this.circuit;
    if (circuit === undefined || this.disposed) throw new Error(`redisCircuitSync "${this.name}" is closed`);
    const epoch = this.epoch;
    const id = `${this.permitPrefix}:${++this.permits}`;
    const args = [String(circuit.halfOpenProbes), String(this.settings.probeLeaseMs), id];
    const grant = await this.run('acquire', acquireProbe, args, parseGrant, (late) => {
      if (late.granted) this.release(id);
    });
    if (grant.granted) {
      return { release: () => this.release(id), succeeded: () => this.succeeded(id, circuit.halfOpenProbes) };
    }
    if (epoch === this.epoch) this.follow(grant.record);
    return undefined;
  }

  /** Reads the fleet's record now and imposes it if newer (also publishes a transition Redis missed). */
  async refresh(): Promise<void> {
    if (this.unpublished !== undefined) await this.unpublished();
    const epoch = this.epoch;
    const record = await this.run('read', readCircuit, [], parseRecord);
    if (epoch !== this.epoch || record.gen <= this.seen) return;
    this.seen = record.gen;
    this.impose(record);
  }

  /** Stops the background reads. The breaker then decides alone (its probes run on their local slots). */
  close(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  /** The same as `close()`, for `using sync = redisCircuitSync(...)`. */
  [Symbol.dispose](): void {
    this.close();
  }

  private get keep(): string {
    return String(this.settings.keepMs);
  }

  /** One background read, then the next one `stalenessMs` after this one began. */
  private async tick(): Promise<void> {
    const started = this.clock.now();
    await this.refresh().catch(noop);
    if (this.disposed) return;
    const wait = Math.max(0, this.stalenessMs - (this.clock.now() - started));
    // A background timer: it guards no caller, so it never keeps the process alive.
    this.timer = this.clock.setTimer(() => void this.tick(), wait, { unref: true });
  }

  /** Runs a publication now, and keeps it for a retry until Redis has taken it (only the latest is kept). */
  private publish(publication: () => Promise<void>): void {
    if (this.disposed) return;
    const attempt = async (): Promise<void> => {
      await publication();
      if (this.unpublished === attempt) this.unpublished = undefined;
    };
    this.unpublished = attempt;
    attempt().catch(noop);
  }

  /** A refusal's record, imposed even if not newer: the fleet's break is not over, or it closed. */
  private follow(record: FleetRecord): void {
    this.seen = Math.max(this.seen, record.gen);
    // Redis answers again, and its record supersedes a local transition it never took.
    this.unpublished = undefined;
    if (record.state === 'closed' || record.remainingMs > 0) this.impose(record);
  }

  private impose(record: FleetRecord): void {
    if (this.disposed || this.circuit === undefined) return;
    if (record.state === 'open') this.circuit.open(record.remainingMs, record.breaks);
    else if (record.state === 'closed') this.circuit.close();
  }

  /**
   * A probe on permit `id` succeeded without closing its own process's circuit: counted in Redis, where the fleet's
   * circuit closes once `probes` succeeded (then imposed here at once). A void permit (the fleet moved on, or the
   * lease ran out) counts for nothing; a Redis failure is reported, and the success stays counted locally only.
   */
  private succeeded(id: string, probes: number): void {
    const epoch = this.epoch;
    this.run('succeed', probeSucceeded, [id, String(probes), this.keep], parseGrant).then(({ record }) => {
      if (epoch !== this.epoch) return;
      this.seen = Math.max(this.seen, record.gen);
      if (record.state === 'closed' || record.remainingMs > 0) this.impose(record);
    }, noop);
  }

  private release(id: string): void {
    this.run('release', releaseProbe, [id], noop).catch(noop);
  }

  /**
   * Runs a script on the circuit's keys, at most `timeoutMs`; rejects on failure, timeout or a malformed reply
   * (reported through `syncError`). `late` sees a reply that came after the timeout.
   */
  private run<T>(
    operation: CircuitSyncOperation,
    script: RedisScript,
    args: readonly string[],
    parse: (reply: unknown) => T,
    late?: (value: T) => void,
  ): Promise<T> {
    const { client, keys, timeoutMs } = this.settings;
    const work = script.run(client, keys, args).then(parse);
    let inTime = false;
    // unref: a caller waiting for a permit is guarded by the breaker's own timer.
    const answer = answerWithin(
      work,
      timeoutMs,
      this.clock,
      { unref: true },
      (value) => {
        inTime = true;
        this.recovered();
        return value;
      },
      (error) => {
        this.failed(operation, error);
        throw error;
      },
    );
    // Registered after answerWithin's own reaction, so it sees whether the answer came in time.
    if (late !== undefined) {
      work.then((value) => {
        if (!inTime) late(value);
      }, noop);
    }
    return answer;
  }

  private failed(operation: CircuitSyncOperation, error: unknown): void {
    if (this.failingSince !== undefined) return;
    this.failingSince = this.clock.now();
    this.emit('syncError', { name: this.name, operation, error });
  }

  private recovered(): void {
    if (this.failingSince === undefined) return;
    const downMs = this.clock.now() - this.failingSince;
    this.failingSince = undefined;
    this.emit('syncRecovered', { name: this.name, downMs });
  }
}

/**
 * Shares a circuit breaker's state with the breakers of the same `name` in other processes, through Redis:
 *
 * ```ts
 * const breaker = circuitBreaker({ sync: redisCircuitSync({ client, name: 'inventory' }) });
 * ```
 * @throws `InvalidOptionError` (from `@bulwark/core`) naming the option, for an invalid option, when it is called
 * (never on a later call).
 */
export function redisCircuitSync(options: RedisCircuitSyncOptions): RedisCircuitSync {
  return new RedisCircuitSync(options);
}
