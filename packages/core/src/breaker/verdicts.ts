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
  ) {
    this.judgesValues = handleResult !== undefined || deferResult !== undefined;
    this.passThrough = handle === undefined && !this.judgesValues;
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
