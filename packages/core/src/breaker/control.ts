import { InvalidOptionError } from '../errors.js';
import { describe } from '../internal/validate.js';

/**
 * What a {@link BreakerControl} asks of the breakers it controls: `'auto'` (their own strategy decides), `'open'`
 * (held open until an instant, then half-open: probes decide), or `'closed'` (held closed: calls run and are
 * counted and reported, but the circuit never opens).
 */
export type ControlMode = 'auto' | 'open' | 'closed';

/** One controlled breaker, as the control sees it. */
export interface ControlledCircuit {
  /** Applies the control's current command. */
  apply(control: BreakerControl): void;
}

/**
 * Manual control of one or more circuit breakers (pass it as their `control` option): open them for a duration or
 * until an instant, hold them closed ("disabled" / "metrics only": calls run and their outcomes are counted and
 * reported, but the circuit never opens), and hand them back to their strategies. Made with {@link breakerControl};
 * a breaker created after a command takes it at once. Holds its breakers weakly: a breaker dropped by its owner is
 * not kept alive by its control.
 */
export class BreakerControl {
  private current: ControlMode = 'auto';
  private until: { readonly at?: number; readonly forMs?: number } = {};
  private readonly members = new Set<WeakRef<ControlledCircuit>>();

  /** The current command. */
  get mode(): ControlMode {
    return this.current;
  }

  /**
   * With mode `'open'`: the instant (in each breaker's clock ms, e.g. `Date.now()` based with the real clock) or
   * the duration (ms from each breaker's own now at the command) of the hold. Internal to the breakers.
   * @internal
   */
  get openHold(): { readonly at?: number; readonly forMs?: number } {
    return this.until;
  }

  /** Opens every controlled breaker for `ms` (>= 0, finite), by each breaker's clock; then they go half-open. */
  openFor(ms: number): void {
    if (typeof ms !== 'number' || !(ms >= 0) || ms === Number.POSITIVE_INFINITY) {
      throw new InvalidOptionError('ms', `expected a finite number of ms >= 0, got ${describe(ms)}`);
    }
    this.command('open', { forMs: ms });
  }

  /**
   * Opens every controlled breaker until `instant` (clock ms: epoch ms with the real clock, or a Date); then they go
   * half-open. An instant already past opens nothing for long: the next call probes.
   */
  openUntil(instant: number | Date): void {
    const at = instant instanceof Date ? instant.getTime() : instant;
    if (typeof at !== 'number' || !Number.isFinite(at)) {
      throw new InvalidOptionError(
        'instant',
        `expected a finite clock time or a Date, got ${describe(instant)}`,
      );
    }
    this.command('open', { at });
  }

  /**
   * Holds every controlled breaker closed: an open or half-open one closes now, and none opens until `release()`.
   * Calls still run through the breaker's strategy, which counts and reports them (resilience4j's DISABLED and
   * METRICS_ONLY alike).
   */
  forceClosed(): void {
    this.command('closed', {});
  }

  /** Hands every controlled breaker back to its strategy, in the state it is in now. */
  release(): void {
    this.command('auto', {});
  }

  /** Called by a breaker's constructor: it takes the current command at once. @internal */
  attach(circuit: ControlledCircuit): void {
    this.members.add(new WeakRef(circuit));
    if (this.current !== 'auto') circuit.apply(this);
  }

  private command(mode: ControlMode, until: { readonly at?: number; readonly forMs?: number }): void {
    this.current = mode;
    this.until = until;
    for (const ref of this.members) {
      const circuit = ref.deref();
      if (circuit === undefined) this.members.delete(ref);
      else circuit.apply(this);
    }
  }
}

/**
 * A control object for one or more circuit breakers (their `control` option): see {@link BreakerControl}. Share one
 * between breakers to command them together, or give each its own.
 */
export function breakerControl(): BreakerControl {
  return new BreakerControl();
}
