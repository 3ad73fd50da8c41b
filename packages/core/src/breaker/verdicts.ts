import type { BreakOutcome } from './options.js';
import { isExecutionRejectedError } from '../errors.js';
import { type CallOutcome, FAILED, OK } from './circuit.js';

/** What a call's outcome counts as, from the breaker's `handle`, `handleResult` and `deferResult` options. */
export class Verdicts {
  /** Whether no predicate can change what a caller gets: the hot path then hands back the function's own promise. */
  readonly passThrough: boolean;
  /** Whether a returned value needs a look (handleResult or deferResult). */
  readonly judgesValues: boolean;

  constructor(
    private readonly handle: ((error: unknown) => boolean) | undefined,
    private readonly handleResult: ((value: unknown) => boolean) | undefined,
    private readonly deferResult: ((value: unknown) => boolean) | undefined,
    /** The `breakFor` option: a break an outcome carries. */
    readonly breakFor: ((outcome: BreakOutcome) => number | undefined) | undefined = undefined,
  ) {
    this.judgesValues = handleResult !== undefined || deferResult !== undefined || breakFor !== undefined;
    this.passThrough = handle === undefined && !this.judgesValues;
  }

  /**
   * The break (ms) an outcome carries, from the `breakFor` option; undefined when it carries none, or when the
   * option answers something other than a finite number >= 0 (the strategy then decides, as without it). May throw.
   */
  carriedBreak(outcome: BreakOutcome): number | undefined {
    const breakFor = this.breakFor;
    if (breakFor === undefined) return undefined;
    const ms = breakFor(outcome);
    return typeof ms === 'number' && ms >= 0 && ms !== Number.POSITIVE_INFINITY ? ms : undefined;
  }

  /** A returned value: FAILED (handleResult), OK, or undefined: no verdict yet (deferResult). May throw. */
  ofValue(value: unknown): CallOutcome | undefined {
    if (this.deferResult !== undefined && this.deferResult(value) === true) return undefined;
    return this.handleResult !== undefined && this.handleResult(value) === true ? FAILED : OK;
  }

  /** Whether an error counts as a failure of the dependency. May throw (a throwing `handle`). */
  counts(error: unknown): boolean {
    return this.handle === undefined ? !isLocalRejection(error) : this.handle(error) === true;
  }
}

/** Refused on this side of the wire (a full bulkhead, an inner open breaker...): not a sick dependency. */
const isLocalRejection = isExecutionRejectedError;
