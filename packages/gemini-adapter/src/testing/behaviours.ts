/**
 * The vocabulary of scripts: `ok()` and `fault.*()` build plain behaviour descriptions the server plays back,
 * so a test reads like a story: `fake.script('gemini-2.5-pro', [fault.overloaded(), ok()])`.
 */
import {
  optionalBoolean,
  optionalString,
  optionsOf,
  orDefault,
  requireBoolean,
  requireFiniteNonNegative,
  requireInteger,
  requireIntegerIn,
  requireOneOf,
  requireRecord,
  requireString,
} from '@bulwark/core/validate';
import type {
  BehaviourBase,
  BlockedBehaviour,
  EmptyBehaviour,
  FakeRequest,
  HangBehaviour,
  NoFinishBehaviour,
  OkBehaviour,
  QuotaBehaviour,
  RawBehaviour,
  ResetBehaviour,
  RpcError,
  RpcErrorBehaviour,
  StallBehaviour,
  StreamErrorBehaviour,
  TruncatedBehaviour,
} from './types.js';
import { cancelledError, HTML_502, MESSAGES, noQuotaError, notFoundError, overloadedError } from './wire.js';

/*
 * Options are checked with core's validator, like every Bulwark option: omitted means the default, null or a
 * wrong type throws InvalidOptionError naming the option.
 */

/** A count: an integer >= 0, `fallback` when omitted. */
function count(name: string, value: unknown, fallback: number): number {
  return requireInteger(name, orDefault(value, fallback), 0);
}

/** An optional duration in ms (finite, >= 0). */
function ms(name: string, value: unknown): number | undefined {
  return value === undefined ? undefined : requireFiniteNonNegative(name, value);
}

function text(name: string, value: unknown, fallback: string): string {
  return requireString(name, orDefault(value, fallback));
}

function base(options: BehaviourBase | undefined): BehaviourBase {
  const delayMs = ms('delayMs', optionsOf(options).delayMs);
  return delayMs === undefined ? {} : { delayMs };
}

/**
 * A normal answer (streamed in `chunks` events for streamGenerateContent).
 * @throws `InvalidOptionError` (from `@bulwark/core`) naming the option, for an invalid option, when it is called
 * (never on a later call).
 */
export function ok(options: Omit<OkBehaviour, 'kind'> = {}): OkBehaviour {
  const o = optionsOf(options);
  count('chunks', o.chunks, 3);
  count('leadingEmptyChunks', o.leadingEmptyChunks, 0);
  ms('chunkDelayMs', o.chunkDelayMs);
  optionalString('finishReason', o.finishReason);
  base(o);
  return { ...o, kind: 'ok' };
}

function rpc(label: string, error: RpcError | ((request: FakeRequest) => RpcError), options?: BehaviourBase) {
  return { kind: 'rpcError', label, error, ...base(options) } satisfies RpcErrorBehaviour;
}

export interface QuotaFaultOptions extends BehaviourBase {
  /**
   * The delay in ms. The message text says it exactly ("Please retry in 34.4s."), RetryInfo only its whole
   * seconds ("34s"), as Gemini does. Default 34 400 (per minute) / 23 700 (per day).
   */
  readonly retryDelayMs?: number;
  /** RetryInfo with the exact delay ("34.4s") instead of Gemini's whole seconds. Default false. */
  readonly exactRetryInfo?: boolean;
  /** The quota value reported. Default 5 (per minute) / 100 (per day). */
  readonly limit?: number;
  /** Which quota ran out. Default 'requests'. */
  readonly metric?: 'requests' | 'inputTokens';
}

const METRICS = ['requests', 'inputTokens'] as const;

function quota(per: 'minute' | 'day', options: QuotaFaultOptions, delay: number, limit: number) {
  const o = optionsOf(options);
  return {
    kind: 'quota',
    per,
    metric: requireOneOf('metric', orDefault(o.metric, 'requests'), METRICS),
    retryDelayMs: ms('retryDelayMs', o.retryDelayMs) ?? delay,
    limit: count('limit', o.limit, limit),
    ...(optionalBoolean('exactRetryInfo', o.exactRetryInfo) === true ? { exactRetryInfo: true } : {}),
    ...base(o),
  } satisfies QuotaBehaviour;
}

const PARTS = ['none', 'emptyText'] as const;
const WHERE = ['prompt', 'candidate'] as const;

/** The status of a raw answer: an integer 100..599. */
function httpStatus(value: unknown, fallback: number): number {
  return requireIntegerIn('status', orDefault(value, fallback), 100, 599);
}

export const fault = {
  /** 503 UNAVAILABLE "The model is overloaded." (`highDemand: true` for the other wording Gemini uses). */
  overloaded(options: BehaviourBase & { readonly highDemand?: boolean } = {}): RpcErrorBehaviour {
    const highDemand = optionalBoolean('highDemand', optionsOf(options).highDemand) === true;
    return rpc('overloaded', overloadedError(highDemand ? MESSAGES.highDemand : undefined), options);
  },
  /** 429 RESOURCE_EXHAUSTED, per-minute quota, with QuotaFailure, Help, RetryInfo (whole seconds) and the exact text. */
  rateLimited(options: QuotaFaultOptions = {}): QuotaBehaviour {
    return quota('minute', options, 34_400, 5);
  },
  /** 429 RESOURCE_EXHAUSTED, per-day quota: still carries a short RetryInfo, as Gemini's does. */
  dailyQuota(options: QuotaFaultOptions = {}): QuotaBehaviour {
    return quota('day', options, 23_700, 100);
  },
  /**
   * 429 RESOURCE_EXHAUSTED "limit: 0": the project has no quota at all for the model (a model its tier does not
   * include). Waiting never helps. As Gemini sends it: "limit: 0" per violated metric in the text, QuotaFailure
   * violations without `quotaValue` (the per-day one too, unless `dailyViolation: false`), whole-second RetryInfo.
   */
  noQuota(
    options: BehaviourBase & { readonly retryDelayMs?: number; readonly dailyViolation?: boolean } = {},
  ): RpcErrorBehaviour {
    const o = optionsOf(options);
    const delay = ms('retryDelayMs', o.retryDelayMs) ?? 10_689.924287;
    const daily = requireBoolean('dailyViolation', orDefault(o.dailyViolation, true));
    return rpc('noQuota', (request) => noQuotaError(request.model ?? 'unknown', delay, daily), options);
  },
  /** 500 INTERNAL. */
  internal(options?: BehaviourBase): RpcErrorBehaviour {
    return rpc('internal', { code: 500, status: 'INTERNAL', message: MESSAGES.internal }, options);
  },
  /**
   * 499 CANCELLED "The operation was cancelled." with reason backendError: what Gemini sends under heavy load
   * although the client did not cancel anything.
   */
  cancelled(options?: BehaviourBase): RpcErrorBehaviour {
    return rpc('cancelled', cancelledError(), options);
  },
  /** 504 DEADLINE_EXCEEDED. */
  deadlineExceeded(options?: BehaviourBase): RpcErrorBehaviour {
    return rpc(
      'deadlineExceeded',
      { code: 504, status: 'DEADLINE_EXCEEDED', message: MESSAGES.deadline },
      options,
    );
  },
  /** 400 INVALID_ARGUMENT. */
  badRequest(options: BehaviourBase & { readonly message?: string } = {}): RpcErrorBehaviour {
    const message = text('message', optionsOf(options).message, MESSAGES.invalidArgument);
    return rpc('badRequest', { code: 400, status: 'INVALID_ARGUMENT', message }, options);
  },
  /** 403 PERMISSION_DENIED. */
  permissionDenied(options?: BehaviourBase): RpcErrorBehaviour {
    const error = { code: 403, status: 'PERMISSION_DENIED', message: MESSAGES.permissionDenied };
    return rpc('permissionDenied', error, options);
  },
  /** 404 NOT_FOUND "models/x is not found for API version ...". */
  notFound(options?: BehaviourBase): RpcErrorBehaviour {
    return rpc('notFound', notFoundError, options);
  },
  /** Any google.rpc.Status error. */
  status(error: RpcError, options?: BehaviourBase & { readonly label?: string }): RpcErrorBehaviour {
    return rpc(text('label', optionsOf(options).label, `status${error.code}`), error, options);
  },
  /** 502 with Google's HTML error page (text/html), as a proxy in front of the API sends it. */
  html502(options?: BehaviourBase): RawBehaviour {
    return {
      kind: 'raw',
      label: 'html502',
      status: 502,
      contentType: 'text/html; charset=UTF-8',
      body: HTML_502,
      ...base(options),
    };
  },
  /** A non-JSON answer, e.g. an Envoy 503 in text/plain. */
  nonJson(
    options: BehaviourBase & {
      readonly status?: number;
      readonly contentType?: string;
      readonly body?: string;
    } = {},
  ): RawBehaviour {
    const o = optionsOf(options);
    return {
      kind: 'raw',
      label: 'nonJson',
      status: httpStatus(o.status, 503),
      contentType: text('contentType', o.contentType, 'text/plain'),
      body: text(
        'body',
        o.body,
        'upstream connect error or disconnect/reset before headers. reset reason: overflow',
      ),
      ...base(o),
    };
  },
  /** A body that is not valid JSON under an application/json content type. */
  malformedJson(options: BehaviourBase & { readonly status?: number } = {}): RawBehaviour {
    return {
      kind: 'raw',
      label: 'malformedJson',
      status: httpStatus(optionsOf(options).status, 200),
      contentType: 'application/json; charset=UTF-8',
      body: '{"candidates": [{"content": {"parts": [{"text": "cut he',
      ...base(options),
    };
  },
  /** Any status, content type and body. */
  raw(
    options: BehaviourBase & { readonly status: number; readonly contentType: string; readonly body: string },
  ): RawBehaviour {
    const { status, contentType, body } = options;
    return { kind: 'raw', label: 'raw', status, contentType, body, ...base(options) } satisfies RawBehaviour;
  },
  /** Resets the connection (RST) at once; with `afterChunks` > 0, drops it mid-body after that many chunks. */
  reset(options: BehaviourBase & { readonly afterChunks?: number } = {}): ResetBehaviour {
    const o = optionsOf(options);
    const afterChunks = o.afterChunks === undefined ? undefined : count('afterChunks', o.afterChunks, 0);
    return { kind: 'reset', ...(afterChunks === undefined ? {} : { afterChunks }), ...base(o) };
  },
  /** Never answers, until the client aborts or the server closes. */
  hang(options?: BehaviourBase): HangBehaviour {
    return { kind: 'hang', ...base(options) };
  },
  /**
   * Sends the headers and `afterChunks` chunks (default 0: stall before the first chunk), then goes silent for
   * `ms` (default: forever) and finishes normally.
   */
  stall(
    options: BehaviourBase & { readonly afterChunks?: number; readonly ms?: number } = {},
  ): StallBehaviour {
    const o = optionsOf(options);
    const stallMs = ms('ms', o.ms);
    return {
      kind: 'stall',
      afterChunks: count('afterChunks', o.afterChunks, 0),
      ...(stallMs === undefined ? {} : { ms: stallMs }),
      ...base(o),
    };
  },
  /** Sends `afterChunks` chunks (default 1) then an in-stream error event (default 503 UNAVAILABLE). */
  streamError(
    options: BehaviourBase & { readonly afterChunks?: number; readonly error?: RpcError } = {},
  ): StreamErrorBehaviour {
    const o = optionsOf(options);
    return {
      kind: 'streamError',
      afterChunks: count('afterChunks', o.afterChunks, 1),
      error:
        o.error === undefined
          ? overloadedError()
          : requireRecord<RpcError>('error', o.error, 'a google.rpc.Status'),
      ...base(o),
    };
  },
  /** Sends `afterChunks` chunks (default 1) then half an event, and ends. */
  truncated(options: BehaviourBase & { readonly afterChunks?: number } = {}): TruncatedBehaviour {
    const o = optionsOf(options);
    return { kind: 'truncated', afterChunks: count('afterChunks', o.afterChunks, 1), ...base(o) };
  },
  /** A stream (or answer) that ends cleanly without any finishReason. */
  noFinishReason(options: BehaviourBase & { readonly chunks?: number } = {}): NoFinishBehaviour {
    const o = optionsOf(options);
    return { kind: 'noFinish', chunks: count('chunks', o.chunks, 3), ...base(o) };
  },
  /**
   * A 200 with nothing in it, as Gemini sometimes sends: `finishReason` (default STOP) with content `{ role:
   * 'model' }` and no parts (`parts: 'emptyText'`: `[{ text: '' }]`). A stream sends `chunksBefore` events
   * without content first (default 0).
   */
  empty(
    options: BehaviourBase & {
      readonly finishReason?: string;
      readonly parts?: 'none' | 'emptyText';
      readonly chunksBefore?: number;
    } = {},
  ): EmptyBehaviour {
    const o = optionsOf(options);
    return {
      kind: 'empty',
      finishReason: text('finishReason', o.finishReason, 'STOP'),
      parts: requireOneOf('parts', orDefault(o.parts, 'none'), PARTS),
      chunksBefore: count('chunksBefore', o.chunksBefore, 0),
      ...base(o),
    };
  },
  /**
   * A 200 that is not an answer. `where: 'prompt'` (default) sends `promptFeedback.blockReason` and no
   * candidates; `where: 'candidate'` a candidate with `finishReason` (SAFETY, RECITATION, OTHER...).
   */
  blocked(
    options: BehaviourBase & {
      readonly where?: 'prompt' | 'candidate';
      readonly reason?: string;
      readonly afterChunks?: number;
    } = {},
  ): BlockedBehaviour {
    const o = optionsOf(options);
    return {
      kind: 'blocked',
      where: requireOneOf('where', orDefault(o.where, 'prompt'), WHERE),
      reason: text('reason', o.reason, 'SAFETY'),
      afterChunks: count('afterChunks', o.afterChunks, 0),
      ...base(o),
    };
  },
};
