import { InvalidOptionError } from '@bulwark/core';
import {
  describe,
  optionalBoolean,
  requireNames,
  requireOneOf,
  requireOptions,
  requireRecord,
} from '@bulwark/core/validate';
import { type HeadersLike, headerReader } from './headers.js';
import { IDEMPOTENT_METHODS, normalizeMethod } from './methods.js';
import { parseRetryAfter } from './retry-after.js';

/**
 * What an HTTP status means for a resilience policy:
 * - success: 1xx-3xx (and 0, an opaque browser response): a final answer.
 * - clientError: the request itself is wrong (most 4xx); repeating it gets the same answer.
 * - throttled: 429, our quota ran out; the dependency is healthy.
 * - transient: the dependency (or the path to it) failed this time: 408, 425, 500, 502, 503, 504.
 * - permanent: the server cannot do it at all: 501, 505-599 (and nonstandard 600-999). Retrying does not help;
 *   all but 501 (which is about the request, see the table) count against a breaker.
 */
export type StatusKind = 'success' | 'clientError' | 'throttled' | 'transient' | 'permanent';

/** How one status is treated; overridable per status with `createClassifier`. */
export interface StatusRule {
  /** The status's class: success, clientError, throttled, transient or permanent. */
  readonly kind: StatusKind;
  /** Repeating the request may get a better answer. */
  readonly retryable: boolean;
  /** The answer says the dependency is unhealthy, so it counts against a circuit breaker. */
  readonly breakerFailure: boolean;
  /**
   * The answer proves the server did not process the request, so even a non-idempotent one may be repeated.
   * 'withRetryAfter': only when the response carries a usable Retry-After (503).
   */
  readonly notProcessed: boolean | 'withRetryAfter';
}

/** The verdict on one response. */
export interface StatusDecision {
  /** The HTTP status classified. */
  readonly status: number;
  /** The status's class: success, clientError, throttled, transient or permanent. */
  readonly kind: StatusKind;
  /** The status alone says repeating may help. */
  readonly retryable: boolean;
  /** Retry it: retryable, and safe to repeat for this request (idempotent, keyed, not processed, or opted in). */
  readonly retry: boolean;
  /** Counts as a failure for a circuit breaker. */
  readonly breakerFailure: boolean;
}

/** What {@link classify} considers besides the status: the request's method and safety, the response's headers. */
export interface ClassifyOptions {
  /** The request's method. Default 'GET'. */
  readonly method?: string | undefined;
  /** The request carries an idempotency key (e.g. an `Idempotency-Key` header): repeating it is safe. */
  readonly idempotencyKey?: boolean | undefined;
  /** The response's headers: a 503 with a usable Retry-After proves the request was not processed. */
  readonly headers?: HeadersLike | null | undefined;
  /** Retry non-idempotent requests anyway (the caller knows repeating them is harmless). */
  readonly retryUnsafe?: boolean | undefined;
}

/** Classifies a status for one request. `classify` is the default one; `createClassifier` builds others. */
export interface Classifier {
  (status: number, options?: ClassifyOptions): StatusDecision;
  /** The methods it treats as safe to repeat (resilientFetch uses them for network errors too). */
  readonly idempotentMethods?: readonly string[];
}

/** Options of {@link createClassifier}; a bad value throws `InvalidOptionError` naming the option. */
export interface ClassifierOptions {
  /** Per-status changes to the default rules, e.g. `{ 404: { retryable: true } }`. Unnamed fields keep defaults. */
  readonly overrides?: Readonly<Record<number, Partial<StatusRule>>>;
  /** Methods safe to repeat. Default GET, HEAD, OPTIONS, TRACE, PUT, DELETE (RFC 9110 idempotent methods). */
  readonly idempotentMethods?: readonly string[];
  /** Default for `ClassifyOptions.retryUnsafe`. Default false. */
  readonly retryUnsafe?: boolean;
}

const rule = (
  kind: StatusKind,
  retryable: boolean,
  breakerFailure: boolean,
  notProcessed: StatusRule['notProcessed'] = false,
): StatusRule => Object.freeze({ kind, retryable, breakerFailure, notProcessed });

const SUCCESS = /* @__PURE__ */ rule('success', false, false);
const CLIENT_ERROR = /* @__PURE__ */ rule('clientError', false, false);
const PERMANENT = /* @__PURE__ */ rule('permanent', false, true);

/** The statuses with a rule of their own; every other status follows its class. */
const SPECIAL: ReadonlyMap<number, StatusRule> = new Map([
  // The server gave up waiting for the request: a timeout, which counts against the dependency.
  [408, rule('transient', true, true)],
  // Too Early (RFC 8470): refused before processing, to avoid a TLS early-data replay; the client may resend.
  [425, rule('transient', true, false, true)],
  // Our quota, not the dependency's health; the server refused before doing the work.
  [429, rule('throttled', true, false, true)],
  [500, rule('transient', true, true)],
  // Not Implemented: the server does not support what was asked (a method, a feature), an answer about the
  // request that a healthy server gives at once and again on every retry. Like a 4xx it does not count against a
  // breaker: one caller asking for what is not there must not cut everybody off a working dependency.
  [501, rule('permanent', false, false)],
  [502, rule('transient', true, true)],
  [503, rule('transient', true, true, 'withRetryAfter')],
  [504, rule('transient', true, true)],
]);

/** The default rule for `status` (already validated). */
export function defaultRule(status: number): StatusRule {
  const special = SPECIAL.get(status);
  if (special !== undefined) return special;
  if (status < 400) return SUCCESS;
  return status < 500 ? CLIENT_ERROR : PERMANENT;
}

/** An HTTP status as the table takes it: an integer 100..999, or 0 (an opaque browser response). */
export function isHttpStatus(value: unknown): value is number {
  return (
    typeof value === 'number' && Number.isInteger(value) && (value === 0 || (value >= 100 && value <= 999))
  );
}

function checkStatus(status: unknown): number {
  if (!isHttpStatus(status)) {
    throw new RangeError(`Invalid HTTP status ${String(status)}: expected an integer 100..999 (or 0)`);
  }
  return status;
}

function hasRetryAfter(headers: HeadersLike | null | undefined): boolean {
  const reader = headerReader(headers);
  const ms = reader.get('retry-after-ms')?.trim();
  return parseRetryAfter(reader.get('retry-after')) !== undefined || (ms !== undefined && /^\d+$/.test(ms));
}

const KINDS: readonly StatusKind[] = ['success', 'clientError', 'throttled', 'transient', 'permanent'];

const RULE_FIELDS = 'kind, retryable, breakerFailure, notProcessed';

function checkOverride(status: string, value: unknown): Partial<StatusRule> {
  const where = `overrides.${status}`;
  const n = Number(status);
  if (!Number.isInteger(n) || n < 100 || n > 999) {
    throw new InvalidOptionError(
      'overrides',
      `expected HTTP statuses (100..999) as keys, got ${describe(status)}`,
    );
  }
  const rule = requireRecord(where, value, `a rule ({ ${RULE_FIELDS} })`);
  const { kind, retryable, breakerFailure, notProcessed, ...rest } = rule;
  const unknownKey = Object.keys(rest)[0];
  if (unknownKey !== undefined) {
    throw new InvalidOptionError(where, `expected only ${RULE_FIELDS}, got a field ${describe(unknownKey)}`);
  }
  if (kind !== undefined) requireOneOf(`${where}.kind`, kind, KINDS);
  optionalBoolean(`${where}.retryable`, retryable);
  optionalBoolean(`${where}.breakerFailure`, breakerFailure);
  if (notProcessed !== undefined && typeof notProcessed !== 'boolean' && notProcessed !== 'withRetryAfter') {
    throw new InvalidOptionError(
      `${where}.notProcessed`,
      `expected a boolean or 'withRetryAfter', got ${describe(notProcessed)}`,
    );
  }
  return rule as Partial<StatusRule>;
}

/**
 * Builds a classifier with per-status overrides and its own idempotent-method list. Options are checked here:
 * a bad override throws InvalidOptionError now, not on the first response.
 * @throws `InvalidOptionError` (from `@bulwark/core`) naming the option, for an invalid option, when it is called
 * (never on a later call).
 */
export function createClassifier(options: ClassifierOptions = {}): Classifier {
  requireOptions(options);
  const rules = new Map<number, StatusRule>();
  if (options.overrides !== undefined) {
    const overrides = requireRecord('overrides', options.overrides, 'an object keyed by status');
    for (const [status, value] of Object.entries(overrides)) {
      const n = Number(status);
      rules.set(n, Object.freeze({ ...defaultRule(n), ...checkOverride(status, value) }));
    }
  }
  const idempotent =
    options.idempotentMethods === undefined
      ? IDEMPOTENT_METHODS
      : Object.freeze(
          requireNames('idempotentMethods', options.idempotentMethods, 'method names').map(normalizeMethod),
        );
  const retryUnsafeByDefault = optionalBoolean('retryUnsafe', options.retryUnsafe) === true;
  // Decisions are immutable and depend only on (status, retry), so each is built once.
  const cache = new Map<number, [StatusDecision, StatusDecision]>();

  const classifyStatus = (status: number, request?: ClassifyOptions): StatusDecision => {
    checkStatus(status);
    let pair = cache.get(status);
    if (pair === undefined) {
      const { kind, retryable, breakerFailure } = rules.get(status) ?? defaultRule(status);
      const base = { status, kind, retryable, breakerFailure };
      pair = [Object.freeze({ ...base, retry: false }), Object.freeze({ ...base, retry: retryable })];
      cache.set(status, pair);
    }
    const decision = pair[1];
    if (!decision.retryable) return decision;
    const safe =
      idempotent.includes(normalizeMethod(request?.method)) ||
      request?.idempotencyKey === true ||
      (request?.retryUnsafe ?? retryUnsafeByDefault) === true ||
      provesNotProcessed(rules.get(status) ?? defaultRule(status), request?.headers);
    return safe ? decision : pair[0];
  };
  return Object.assign(classifyStatus, { idempotentMethods: idempotent });
}

function provesNotProcessed(statusRule: StatusRule, headers: HeadersLike | null | undefined): boolean {
  return statusRule.notProcessed === 'withRetryAfter' ? hasRetryAfter(headers) : statusRule.notProcessed;
}

/**
 * Classifies a status with the default rules: 408, 425, 429, 500, 502, 503, 504 are retryable; other 4xx and 501,
 * 505+ are not. 5xx but 501, and 408, count against a breaker; 429, 425 and 501 do not. Non-idempotent methods (POST, PATCH...)
 * are retried only with an idempotency key, when the status proves the request was not processed (429, 425, 503
 * with Retry-After) or when `retryUnsafe` is set. Throws RangeError for a value that is not an HTTP status.
 */
export const classify: Classifier = /* @__PURE__ */ createClassifier();
