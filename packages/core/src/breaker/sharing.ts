import type { Clock } from '../clock.js';
import type { Ctx } from '../internal/context.js';
import { throwDetached } from '../internal/signal-fanout.js';
import { type BreakerState, type Circuit, type FleetVerdict, longestBreak } from './circuit.js';
import { MAX_BREAKS } from './snapshot.js';
import type { CircuitCloseCause, CircuitSync, ProbePermit, SharedCircuit } from './sync.js';

/** The permit wait ended without the sync's answer (timeout or error): the probe runs on its local slot alone. */
export const LOCAL_PROBE: unique symbol = /* @__PURE__ */ Symbol('local probe');

/** What a probe may do after the permit wait: run with a permit, run alone, or be refused (undefined). */
export type PermitAnswer = ProbePermit | typeof LOCAL_PROBE | undefined;

export const DEFAULT_ACQUIRE_TIMEOUT_MS = 1_000;

/**
 * One breaker's link to its CircuitSync: tells the sync of local transitions (never of the ones the sync imposed),
 * imposes the fleet's state on the circuit, and waits, bounded, for a fleet-wide probe permit. Only transitions and
 * half-open probes come here; the closed path does not.
 */
export class CircuitSharing {
  /** True while a transition the sync imposed runs: it is not told back. */
  private imposing = false;
  /** Set by `reset()` around its close, so the sync hears why the circuit closed. */
  private closing: CircuitCloseCause | undefined = undefined;

  constructor(
    private readonly sync: CircuitSync,
    private readonly acquireTimeoutMs: number,
    private readonly circuit: Circuit,
    private readonly clock: Clock,
    name: string,
  ) {
    const link: SharedCircuit = {
      name,
      halfOpenProbes: circuit.config.halfOpenProbes,
      open: (remainingMs, breaks) => this.imposeOpen(remainingMs, breaks),
      close: () => this.imposeClose(),
    };
    sync.attach(link);
  }

  /** The circuit moved (called from the breaker's transition listener). */
  transitioned(from: BreakerState, to: BreakerState): void {
    if (this.imposing) return;
    try {
      if (to.kind === 'open') this.sync.opened(Math.max(0, to.until - this.clock.now()), to.breaks.count);
      else if (to.kind === 'closed') {
        this.sync.closed(this.closing ?? (from.kind === 'isolated' ? 'released' : 'probes'));
      }
    } catch (error) {
      throwDetached(error);
    }
  }

  /** `reset()`'s close: the sync hears it as a reset whatever the state it left. */
  reset(): void {
    this.closing = 'reset';
    try {
      this.circuit.close();
    } finally {
      this.closing = undefined;
    }
  }

  /**
   * Waits for the sync's fleet-wide permit, at most `acquireTimeoutMs` (then LOCAL_PROBE, as after a rejection).
   * Rejects with the caller's reason if it aborts first. A permit that comes too late is released at once.
   */
  permit(context: Ctx): Promise<PermitAnswer> {
    return new Promise((resolve, reject) => {
      let done = false;
      let unsubscribe: (() => void) | undefined;
      // This timer guards a waiting caller: it keeps the process alive until it fires or is cleared.
      const timer = this.clock.setTimer(() => finish(LOCAL_PROBE), this.acquireTimeoutMs);
      const finish = (answer: PermitAnswer): void => {
        if (done) return;
        done = true;
        this.clock.clearTimer(timer);
        unsubscribe?.();
        resolve(answer);
      };
      let asked: Promise<ProbePermit | undefined>;
      try {
        asked = Promise.resolve(this.sync.acquireProbe());
      } catch (error) {
        asked = Promise.reject(error);
      }
      asked.then(
        (permit) => {
          if (done) releasePermit(permit);
          else finish(permit ?? undefined);
        },
        () => finish(LOCAL_PROBE),
      );
      // Nothing answers synchronously (a then, a timer), and finish() removes this listener: it runs only while waiting.
      unsubscribe = context.subscribe((reason) => {
        done = true;
        this.clock.clearTimer(timer);
        reject(reason);
      });
    });
  }

  private imposeOpen(remainingMs: number, breaks: number): void {
    // An isolated circuit stays as it is: openFor leaves it alone.
    const { halfOpenAfter } = this.circuit.config;
    // As a restored snapshot: nothing from outside keeps the circuit open longer than one longest break.
    const remaining = remainingMs > 0 ? Math.min(remainingMs, longestBreak(halfOpenAfter)) : 0; // NaN: 0
    const count = breaks > 0 ? Math.min(Math.floor(breaks), MAX_BREAKS) : 0;
    this.imposed(() => this.circuit.openFor(this.clock.now() + remaining, count));
  }

  private imposeClose(): void {
    const kind = this.circuit.state.kind;
    // A closed circuit keeps its counts (closing it again would start a new epoch); isolation is local.
    if (kind === 'open' || kind === 'halfOpen') this.imposed(() => this.circuit.close());
  }

  private imposed(transition: () => void): void {
    this.imposing = true;
    try {
      transition();
    } finally {
      this.imposing = false;
    }
  }
}

/** Gives a permit back; a sync whose release throws leaves it to its own expiry (the error is rethrown detached). */
export function releasePermit(permit: PermitAnswer): void {
  if (permit === undefined || permit === LOCAL_PROBE) return;
  try {
    permit.release();
  } catch (error) {
    throwDetached(error);
  }
}

/**
 * A probe's fleet-wide permit, for the probe's whole life: a success that does not close the circuit here goes to
 * the permit's `succeeded` (the fleet counts it with the other processes'); otherwise the permit is given back once
 * the probe's outcome was counted.
 */
export class SharedProbe implements FleetVerdict {
  private done = false;

  constructor(private readonly permit: ProbePermit) {}

  shareSuccess(): void {
    if (this.done || this.permit.succeeded === undefined) return;
    this.done = true;
    try {
      this.permit.succeeded();
    } catch (error) {
      throwDetached(error);
    }
  }

  /** The probe's outcome was counted: a permit its success did not take is given back. */
  readonly release = (): void => {
    if (this.done) return;
    this.done = true;
    releasePermit(this.permit);
  };
}
