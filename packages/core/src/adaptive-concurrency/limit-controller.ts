import { ServiceTime } from './service-time.js';

/** What a LimitController is built from (validated options). */
export interface LimitSettings {
  readonly initialLimit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  readonly backoffRatio: number;
  /** Service time assumed until a success was timed (ms, > 0). */
  readonly initialRtt: number;
}

/**
 * Smallest growth per round trip (slots): how slowly the limit creeps up to, and past, the level of the last
 * decrease. Refusals per call in a steady overload are about this step / ((1 - backoffRatio) x limit^2), so a
 * small step keeps the probing cheap; past the old level the growth speeds up by itself.
 */
const MIN_STEP = 0.1;
/**
 * Growth per round trip past the level of the last decrease, as a share of the distance already travelled
 * beyond it: 1 doubles it every round trip (slow start from a small step), so capacity that came back is
 * found in a few round trips while the first steps past the old level stay small.
 */
const PROBE_GAIN = 1;
/**
 * Climb per round trip back towards a level the limit overshot to (a probe refused above the level of the decrease
 * before): at most this share of the limit, and at least one slot, like TCP Reno's additive increase. A client
 * that grabbed the capacity while other processes were squeezed gives it back gradually instead of jumping back,
 * so the others catch up and the climbs of many clients do not collide.
 */
const OVERSHOOT_CLIMB_SHARE = 0.1;

/**
 * The concurrency limit and how it moves, as TCP congestion control moves its window, plus the service-time
 * estimate the limit is paced by. A pure unit: no clock, no timers, no promises. Its inputs are the outcomes of
 * calls (a success with its duration and the slots in use when it was sent; an overload signal with the epoch the
 * call was sent in and the slots in use now) and its outputs the limit and the durations derived from it.
 *
 * - A success of a call sent while the limit was in use (at least half its slots busy) raises it by
 *   step / limit, so by `step` per round trip: before any overload signal, slow start (the limit doubles every
 *   round trip); after one, a binary search back towards the level of the last decrease (half the gap per round
 *   trip), a slow creep (0.1 per round trip) near it, and past it a probe that speeds up the longer the new
 *   level holds (it doubles the distance travelled beyond it every round trip, up to half the limit). When the
 *   decrease refused such a probe (the level was an overshoot), the climb back is additive: at most a tenth of
 *   the limit, and at least one slot, per round trip, so client processes that share the dependency converge
 *   towards equal shares instead of the quickest keeping what it grabbed.
 * - An overload signal from a call sent in the current epoch sets the limit to `backoffRatio` x the slots in use
 *   and starts a new epoch; signals from calls sent before it belong to the same episode and do not compound.
 * - The limit stays within [minLimit, maxLimit].
 */
export class LimitController {
  declare readonly serviceTime: ServiceTime;
  declare private readonly minLimit: number;
  declare private readonly maxLimit: number;
  declare private readonly backoffRatio: number;
  declare private current: number;
  /** The limit when the last decrease happened (Infinity before the first: slow start). */
  private lastMax = Number.POSITIVE_INFINITY;
  /** Whether that decrease refused a probe above the level of the decrease before it (see OVERSHOOT_CLIMB_SHARE). */
  private overshot = false;
  /** Incremented by every decrease: a call remembers the epoch it was sent in. */
  private decreases = 0;

  constructor(settings: LimitSettings) {
    this.minLimit = settings.minLimit;
    this.maxLimit = settings.maxLimit;
    this.backoffRatio = settings.backoffRatio;
    this.current = settings.initialLimit;
    this.serviceTime = new ServiceTime(settings.initialRtt);
  }

  /** The concurrency limit (fractional: floor(limit) calls may run at once). */
  get limit(): number {
    return this.current;
  }

  /** The episode calls are sent in now: it changes with every decrease. */
  get epoch(): number {
    return this.decreases;
  }

  /** Calls that may run at once: floor(limit), at least 1 (a fractional limit below 1 is enforced by pacing). */
  get slots(): number {
    return Math.max(1, Math.floor(this.current));
  }

  /**
   * Time between two dispatches of waiting calls (ms): the service time / limit, the pace the limit sustains, so
   * slots freed together do not leave as a burst; below a limit of 1 it spaces out every call.
   */
  get paceInterval(): number {
    return this.serviceTime.current / this.current;
  }

  /**
   * A call that took `sample` ms succeeded; `inUse` slots were taken (its own included) when it was sent. Only a
   * limit that was in use has been tested: an app-limited client does not inflate it.
   */
  succeeded(sample: number, inUse: number): void {
    this.serviceTime.record(sample);
    if (inUse < this.current / 2) return;
    this.current = Math.min(this.maxLimit, this.current + this.step() / this.current);
  }

  /**
   * A call sent in `epoch` was refused as overloaded, with `inUse` slots taken now. The first such signal of an
   * epoch backs off from what was actually in use and starts a new epoch (returns true); later ones of the same
   * episode change nothing (false).
   */
  overloaded(epoch: number, inUse: number): boolean {
    if (epoch !== this.decreases) return false;
    const target = Math.max(this.minLimit, Math.min(this.current, inUse) * this.backoffRatio);
    this.decreases++;
    this.overshot = this.current > this.lastMax;
    this.lastMax = this.current;
    this.current = target;
    return true;
  }

  /**
   * How long a refused call that ran for `elapsed` ms keeps its slot: the rest of a service time, so refusals that
   * come back at once cannot turn into a tight loop of new sends. Zero or less: release it now.
   */
  holdFor(elapsed: number): number {
    return this.serviceTime.current - elapsed;
  }

  /**
   * Growth per round trip (a success adds step / limit, and a round trip brings about `limit` successes): a
   * binary search towards the level of the last decrease (half the gap, at most +limit: before any decrease the
   * level is Infinity, so this is slow start; at most a tenth of the limit, and at least one slot, when that
   * level was an overshoot), creeping by
   * MIN_STEP near it, and past it a probe that starts at MIN_STEP and speeds up the longer the new level holds
   * (the distance travelled beyond it, at most half the limit): few refusals near the known capacity, quick
   * discovery of new capacity.
   */
  private step(): number {
    const limit = this.current;
    const gap = this.lastMax - limit;
    if (gap > 0) {
      const climb = Math.min(Math.max(MIN_STEP, gap / 2), limit);
      return this.overshot ? Math.min(climb, Math.max(1, limit * OVERSHOOT_CLIMB_SHARE)) : climb;
    }
    return Math.min(Math.max(MIN_STEP, -gap * PROBE_GAIN), Math.max(1, limit / 2));
  }
}
