import { isTimeoutError, retryAfterOf } from '@bulwark/core';
import { nextPacificMidnight } from '../internal/pacific-day.js';
import { kindOfResponse } from './classify.js';
import { contextWindowRefusal } from './context-window.js';
import { refusesCredentials } from './credentials.js';
import {
  isZeroQuota,
  mentionsDailyQuota,
  modelFromText,
  quotaViolation,
  retryDelayFromText,
  retryInfoDelay,
  serverDelay,
} from './details.js';
import { GeminiFailure, type GeminiFailureKind, isGeminiFailure } from './failure.js';
import { isNetworkError, networkCodeOf } from './network.js';
import { cleanMessage, type RpcStatusInfo, rpcStatusFromMessage, rpcStatusFromObject } from './rpc-status.js';

/** What {@link parseGeminiError} knows about the call beyond the error itself. */
export interface ParseContext {
  /**
   * The signal the call ran under. A timeout and an abort both reach the caller as an `AbortError`; with the
   * signal, an AbortError counts as `aborted` only when this signal aborted for a reason other than a timeout.
   * Without it, every AbortError counts as `aborted`.
   */
  readonly signal?: AbortSignal | undefined;
  /** The model the call was for, used when the error names none. */
  readonly model?: string | undefined;
  /** Current time (ms since the epoch) for the daily-quota reset. Default `Date.now()`. */
  readonly now?: number | undefined;
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function nameOf(value: unknown): string {
  const name = field(value, 'name');
  return typeof name === 'string' ? name : '';
}

function messageOf(value: unknown): string {
  if (typeof value === 'string') return value;
  const message = field(value, 'message');
  return typeof message === 'string' ? message : '';
}

function httpStatusOf(value: unknown): number | undefined {
  const status = field(value, 'status');
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599
    ? status
    : undefined;
}

function isTimeoutReason(reason: unknown): boolean {
  return isTimeoutError(reason) || nameOf(reason) === 'TimeoutError';
}

const TRANSIENT_HINTED: ReadonlySet<GeminiFailureKind> = new Set([
  'overloaded',
  'rateLimited',
  'serverError',
  'deadline',
]);

/** An HTTP error response (ApiError, a parsed body, or anything with a status and a Gemini message). */
function fromResponse(
  error: unknown,
  status: number | undefined,
  rpc: RpcStatusInfo | undefined,
  context: ParseContext,
): GeminiFailure {
  const httpStatus = status ?? rpc?.code;
  // The deprecated @google/generative-ai SDK kept details in `errorDetails`.
  const legacyDetails = field(error, 'errorDetails');
  const details = rpc?.details.length ? rpc.details : Array.isArray(legacyDetails) ? legacyDetails : [];
  const text = rpc?.message || messageOf(error);
  const violation = quotaViolation(details);
  // No quota at all ("limit: 0") never comes back by waiting: treated like a quota spent for the day.
  const zeroQuota = isZeroQuota(details, text);
  const daily = zeroQuota || (violation !== undefined ? violation.perDay : mentionsDailyQuota(text));
  let kind = kindOfResponse(httpStatus, rpc?.status, daily);
  const tooLong = kind === 'clientError' ? contextWindowRefusal(text) : undefined;
  if (tooLong !== undefined) kind = 'contextWindowExceeded';
  const credentialsRefused =
    kind === 'clientError' && refusesCredentials(httpStatus, rpc?.status, details, text);
  const retryInfoMs = retryInfoDelay(details);
  let retryAfterMs: number | undefined;
  if (kind === 'dailyQuotaExhausted') {
    // The RetryInfo of a daily quota is short and useless: the quota only comes back at midnight Pacific.
    const now = typeof context.now === 'number' && Number.isFinite(context.now) ? context.now : Date.now();
    retryAfterMs = nextPacificMidnight(now) - now;
  } else if (TRANSIENT_HINTED.has(kind)) {
    retryAfterMs = serverDelay(retryInfoMs, retryDelayFromText(text));
  }
  return new GeminiFailure({
    kind,
    serverMessage: cleanMessage(text) || `HTTP ${httpStatus ?? 'error'}`,
    status: httpStatus,
    rpcStatus: rpc?.status,
    retryAfterMs,
    retryInfoMs,
    quotaId: violation?.quotaId,
    quotaMetric: violation?.quotaMetric,
    quotaValue: zeroQuota && kind === 'dailyQuotaExhausted' ? 0 : violation?.quotaValue,
    model: violation?.model ?? modelFromText(text) ?? context.model,
    details,
    inputTokens: tooLong?.inputTokens,
    inputTokenLimit: tooLong?.inputTokenLimit,
    credentialsRefused,
    cause: error,
  });
}

function simple(kind: GeminiFailureKind, message: string, error: unknown, context: ParseContext, extra = {}) {
  return new GeminiFailure({ kind, serverMessage: message, model: context.model, cause: error, ...extra });
}

function parse(error: unknown, context: ParseContext): GeminiFailure {
  if (isGeminiFailure(error)) return error;
  const name = nameOf(error);
  const message = messageOf(error);
  const signal = context.signal;

  // Aborts and timeouts: only the caller's signal tells them apart.
  if (signal?.aborted && error === signal.reason) {
    return simple(isTimeoutReason(error) ? 'timeout' : 'aborted', message || 'aborted', error, context);
  }
  if (isTimeoutReason(error)) return simple('timeout', message || 'timed out', error, context);
  if (name === 'AbortError') {
    const timedOut = signal !== undefined && (signal.aborted ? isTimeoutReason(signal.reason) : true);
    return simple(timedOut ? 'timeout' : 'aborted', message || 'aborted', error, context);
  }

  const status = httpStatusOf(error);
  const rpc = (message !== '' ? rpcStatusFromMessage(message) : undefined) ?? rpcStatusFromObject(error);
  if (status !== undefined || rpc?.code !== undefined || rpc?.status !== undefined) {
    return fromResponse(error, status, rpc, context);
  }

  if (isNetworkError(error, message)) {
    const networkCode = networkCodeOf(error);
    return simple('network', message || 'network error', error, context, { networkCode });
  }
  // A body that did not parse: a proxy page under a JSON content type, or a body cut in transit.
  if (name === 'SyntaxError' || message.startsWith('exception parsing stream chunk')) {
    return simple('serverError', `malformed response: ${cleanMessage(message)}`, error, context);
  }
  return simple('unknown', cleanMessage(message) || 'unrecognised error', error, context, {
    retryAfterMs: retryAfterOf(error),
  });
}

/**
 * Turns whatever a Gemini call threw (the SDK's ApiError in any of its message shapes, fetch's TypeErrors,
 * SyntaxErrors, AbortErrors, a parsed error body, a string...) into a classified `GeminiFailure`.
 * Never throws: anything it does not recognise comes back with kind `unknown`.
 */
export function parseGeminiError(error: unknown, context: ParseContext = {}): GeminiFailure {
  try {
    return parse(error, context ?? {});
  } catch {
    return new GeminiFailure({ kind: 'unknown', serverMessage: 'unreadable error', cause: error });
  }
}
