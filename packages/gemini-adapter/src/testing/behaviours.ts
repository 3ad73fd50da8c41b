/**
 * The vocabulary of scripts: `ok()` and `fault.*()` build plain behaviour descriptions the server plays back,
 * so a test reads like a story: `fake.script('gemini-2.5-pro', [fault.overloaded(), ok()])`.
 */
import { InvalidOptionError } from '@bulwark/core';
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

function count(name: string, value: number | undefined, fallback: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 0) throw new InvalidOptionError(name, `expected an integer >= 0, got ${n}`);
  return n;
}

function ms(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value < 0) {
    throw new InvalidOptionError(name, `expected a finite number >= 0, got ${value}`);
  }
  return value;
}

function base(options: BehaviourBase | undefined): BehaviourBase {
  const delayMs = ms('delayMs', options?.delayMs);
  return delayMs === undefined ? {} : { delayMs };
}

/** A normal answer (streamed in `chunks` events for streamGenerateContent). */
export function ok(options: Omit<OkBehaviour, 'kind'> = {}): OkBehaviour {
  count('chunks', options.chunks, 3);
  count('leadingEmptyChunks', options.leadingEmptyChunks, 0);
  ms('chunkDelayMs', options.chunkDelayMs);
  base(options);
  return { ...options, kind: 'ok' };
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

function quota(per: 'minute' | 'day', options: QuotaFaultOptions, delay: number, limit: number) {
  return {
    kind: 'quota',
    per,
    metric: options.metric ?? 'requests',
    retryDelayMs: ms('retryDelayMs', options.retryDelayMs) ?? delay,
    limit: count('limit', options.limit, limit),
    ...(options.exactRetryInfo === true ? { exactRetryInfo: true } : {}),
    ...base(options),
  } satisfies QuotaBehaviour;
}

export const fault = {
  /** 503 UNAVAILABLE "The model is overloaded." (`highDemand: true` for the other wording Gemini uses). */
  overloaded(options: BehaviourBase & { readonly highDemand?: boolean } = {}): RpcErrorBehaviour {
    return rpc('overloaded', overloadedError(options.highDemand ? MESSAGES.highDemand : undefined), options);
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
    const delay = ms('retryDelayMs', options.retryDelayMs) ?? 10_689.924287;
    const daily = options.dailyViolation ?? true;
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
    const message = options.message ?? MESSAGES.invalidArgument;
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
    return rpc(options?.label ?? `status${error.code}`, error, options);
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
    return {
      kind: 'raw',
      label: 'nonJson',
      status: options.status ?? 503,
      contentType: options.contentType ?? 'text/plain',
      body:
        options.body ?? 'upstream connect error or disconnect/reset before headers. reset reason: overflow',
      ...base(options),
    };
  },
  /** A body that is not valid JSON under an application/json content type. */
  malformedJson(options: BehaviourBase & { readonly status?: number } = {}): RawBehaviour {
    return {
      kind: 'raw',
      label: 'malformedJson',
      status: options.status ?? 200,
      contentType: 'application/json; charset=UTF-8',
      body: '{"candidates": [{"content": {"parts": [{"text": "cut he',
      ...base(options),
    };
  },
  /** Any status, content type and body. */
  raw(
    options: BehaviourBase & { readonly status: number; readonly contentType: string; readonly body: string },
  ) {
    const { status, contentType, body } = options;
    return { kind: 'raw', label: 'raw', status, contentType, body, ...base(options) } satisfies RawBehaviour;
  },
  /** Resets the connection (RST) at once; with `afterChunks` > 0, drops it mid-body after that many chunks. */
  reset(options: BehaviourBase & { readonly afterChunks?: number } = {}): ResetBehaviour {
    const afterChunks =
      options.afterChunks === undefined ? undefined : count('afterChunks', options.afterChunks, 0);
    return { kind: 'reset', ...(afterChunks === undefined ? {} : { afterChunks }), ...base(options) };
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
    const stallMs = ms('ms', options.ms);
    return {
      kind: 'stall',
      afterChunks: count('afterChunks', options.afterChunks, 0),
      ...(stallMs === undefined ? {} : { ms: stallMs }),
      ...base(options),
    };
  },
  /** Sends `afterChunks` chunks (default 1) then an in-stream error event (default 503 UNAVAILABLE). */
  streamError(
    options: BehaviourBase & { readonly afterChunks?: number; readonly error?: RpcError } = {},
  ): StreamErrorBehaviour {
    return {
      kind: 'streamError',
      afterChunks: count('afterChunks', options.afterChunks, 1),
      error: options.error ?? overloadedError(),
      ...base(options),
    };
  },
  /** Sends `afterChunks` chunks (default 1) then half an event, and ends. */
  truncated(options: BehaviourBase & { readonly afterChunks?: number } = {}): TruncatedBehaviour {
    return { kind: 'truncated', afterChunks: count('afterChunks', options.afterChunks, 1), ...base(options) };
  },
  /** A stream (or answer) that ends cleanly without any finishReason. */
  noFinishReason(options: BehaviourBase & { readonly chunks?: number } = {}): NoFinishBehaviour {
    return { kind: 'noFinish', chunks: count('chunks', options.chunks, 3), ...base(options) };
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
    const parts = options.parts ?? 'none';
    if (parts !== 'none' && parts !== 'emptyText') {
      throw new InvalidOptionError('parts', `expected 'none' or 'emptyText', got ${String(parts)}`);
    }
    return {
      kind: 'empty',
      finishReason: options.finishReason ?? 'STOP',
      parts,
      chunksBefore: count('chunksBefore', options.chunksBefore, 0),
      ...base(options),
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
    return {
      kind: 'blocked',
      where: options.where ?? 'prompt',
      reason: options.reason ?? 'SAFETY',
      afterChunks: count('afterChunks', options.afterChunks, 0),
      ...base(options),
    };
  },
};
