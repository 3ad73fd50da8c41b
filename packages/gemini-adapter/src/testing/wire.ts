/** Builders for the JSON the Gemini REST API sends, shaped like the real service's answers. */
import type { FakeRequest, RpcError } from './types.js';

const RPC = 'type.googleapis.com/google.rpc.';

/** A protobuf Duration string ("34.4s", "0.25s", "48s") for a delay in ms, exact to the millisecond. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  return `${Number(seconds.toFixed(3))}s`;
}

/** A protobuf Duration in whole seconds, truncated, as Gemini's RetryInfo is: "58s" for 58.2 s, "0s" for 0.6 s. */
export function formatWholeSeconds(ms: number): string {
  return `${Math.floor(Math.max(0, ms) / 1000)}s`;
}

/** `value` (an integer count of 10^-digits units) as a decimal without trailing zeros. */
function decimal(value: number, digits: number): string {
  const unit = 10 ** digits;
  const whole = Math.floor(value / unit);
  const fraction = value - whole * unit;
  if (fraction === 0) return String(whole);
  return `${whole}.${String(fraction).padStart(digits, '0').replace(/0+$/, '')}`;
}

/**
 * Go's `Duration.String()`, which is how Gemini writes a delay in its messages ("Please retry in
 * 58.217843437s."): "373.801628ms" below a second, "1m2.5s" above a minute, "0s" for nothing.
 */
export function formatGoDuration(ms: number): string {
  const ns = Math.round(Math.max(0, ms) * 1_000_000);
  if (ns === 0) return '0s';
  if (ns < 1_000) return `${ns}ns`;
  if (ns < 1_000_000) return `${decimal(ns, 3)}\u00b5s`;
  if (ns < 1_000_000_000) return `${decimal(ns, 6)}ms`;
  const seconds = Math.floor(ns / 1_000_000_000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = `${decimal((seconds % 60) * 1_000_000_000 + (ns - seconds * 1_000_000_000), 9)}s`;
  return h > 0 ? `${h}h${m}m${s}` : m > 0 ? `${m}m${s}` : s;
}

export function errorBody(error: RpcError): { error: RpcError } {
  return { error };
}

export function usage(request: FakeRequest, outputTokens: number): Record<string, number> {
  return {
    promptTokenCount: request.inputTokens,
    candidatesTokenCount: outputTokens,
    totalTokenCount: request.inputTokens + outputTokens,
  };
}

export function tokensOf(text: string): number {
  return Math.ceil(text.length / 4);
}

function responseId(request: FakeRequest): string {
  return `fake-${request.index}`;
}

/** A whole generateContent answer. `finishReason` undefined leaves it out (an unfinished candidate). */
export function generateResponse(
  request: FakeRequest,
  text: string,
  finishReason: string | undefined,
): Record<string, unknown> {
  return answer(request, text, text, finishReason);
}

/** An answer carrying `text`, with the usage of `countedText` (a stream's running total). */
function answer(
  request: FakeRequest,
  text: string,
  countedText: string,
  finishReason: string | undefined,
): Record<string, unknown> {
  return {
    candidates: [candidate(text, finishReason)],
    usageMetadata: usage(request, tokensOf(countedText)),
    modelVersion: request.model,
    responseId: responseId(request),
  };
}

function candidate(text: string, finishReason: string | undefined): Record<string, unknown> {
  const result: Record<string, unknown> = { content: { role: 'model', parts: [{ text }] } };
  if (finishReason !== undefined) result.finishReason = finishReason;
  result.index = 0;
  return result;
}

/** One SSE event of a stream; the last one carries the finishReason and the running-total usage. */
export function streamChunk(
  request: FakeRequest,
  piece: string,
  textSoFar: string,
  finishReason: string | undefined,
): Record<string, unknown> {
  return answer(request, piece, textSoFar, finishReason);
}

/** Splits `text` into at most `count` non-empty pieces (one empty piece for empty text). */
export function splitText(text: string, count: number): string[] {
  const n = Math.max(1, Math.min(Math.floor(count), text.length));
  if (text.length === 0) return [''];
  // Even boundaries, so exactly n non-empty pieces come out.
  const pieces: string[] = [];
  for (let i = 0; i < n; i++) {
    pieces.push(text.slice(Math.floor((i * text.length) / n), Math.floor(((i + 1) * text.length) / n)));
  }
  return pieces;
}

const SAFETY_CATEGORIES = [
  'HARM_CATEGORY_HATE_SPEECH',
  'HARM_CATEGORY_DANGEROUS_CONTENT',
  'HARM_CATEGORY_HARASSMENT',
  'HARM_CATEGORY_SEXUALLY_EXPLICIT',
];

function safetyRatings(blocked: boolean): Record<string, unknown>[] {
  return SAFETY_CATEGORIES.map((category, i) =>
    i === 1 && blocked
      ? { category, probability: 'HIGH', blocked: true }
      : { category, probability: 'NEGLIGIBLE' },
  );
}

/** The prompt was refused: no candidates, `promptFeedback.blockReason`. */
export function promptBlockedResponse(request: FakeRequest, reason: string): Record<string, unknown> {
  return {
    promptFeedback: { blockReason: reason, safetyRatings: safetyRatings(true) },
    usageMetadata: { promptTokenCount: request.inputTokens, totalTokenCount: request.inputTokens },
    modelVersion: request.model,
    responseId: responseId(request),
  };
}

/** The candidate stopped for `finishReason` (SAFETY, RECITATION...) without content, as the API sends it. */
export function candidateBlockedResponse(
  request: FakeRequest,
  finishReason: string,
): Record<string, unknown> {
  return {
    candidates: [
      {
        finishReason,
        index: 0,
        ...(finishReason === 'SAFETY' ? { safetyRatings: safetyRatings(true) } : {}),
      },
    ],
    usageMetadata: { promptTokenCount: request.inputTokens, totalTokenCount: request.inputTokens },
    modelVersion: request.model,
    responseId: responseId(request),
  };
}

/** An answer with nothing in it: `content: { role: 'model' }` (or one empty text part), as Gemini sometimes sends. */
export function emptyResponse(
  request: FakeRequest,
  finishReason: string | undefined,
  parts: 'none' | 'emptyText',
): Record<string, unknown> {
  const content = parts === 'none' ? { role: 'model' } : { role: 'model', parts: [{ text: '' }] };
  return {
    candidates: [{ content, ...(finishReason === undefined ? {} : { finishReason }), index: 0 }],
    usageMetadata: { promptTokenCount: request.inputTokens, totalTokenCount: request.inputTokens },
    modelVersion: request.model,
    responseId: responseId(request),
  };
}

export function countTokensResponse(request: FakeRequest): Record<string, unknown> {
  return {
    totalTokens: request.inputTokens,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: request.inputTokens }],
  };
}

/** A deterministic unit-ish vector per text, so equal inputs embed equally. */
export function embeddingValues(text: string, dimensions: number): number[] {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619) >>> 0;
  const values: number[] = [];
  for (let i = 0; i < dimensions; i++) {
    hash = Math.imul(hash ^ (hash >>> 13), 0x5bd1e995) >>> 0;
    values.push(Number(((hash / 4294967296) * 2 - 1).toFixed(6)));
  }
  return values;
}

export const MESSAGES = {
  overloaded: 'The model is overloaded. Please try again later.',
  highDemand:
    'This model is currently experiencing high demand. Spikes in demand are usually temporary. Please try again later.',
  internal:
    'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  deadline: 'Deadline expired before operation could complete.',
  cancelled: 'The operation was cancelled.',
  apiKeyInvalid: 'API key not valid. Please pass a valid API key.',
  permissionDenied: 'The caller does not have permission',
  invalidArgument: 'Request contains an invalid argument.',
  invalidJson: 'Invalid JSON payload received. Unexpected token.',
} as const;

export function overloadedError(message: string = MESSAGES.overloaded): RpcError {
  return { code: 503, status: 'UNAVAILABLE', message };
}

/** The 499 the API sends when its backend gives up on a request under load (the client cancelled nothing). */
export function cancelledError(): RpcError {
  return {
    code: 499,
    status: 'CANCELLED',
    message: MESSAGES.cancelled,
    errors: [{ message: MESSAGES.cancelled, domain: 'global', reason: 'backendError' }],
  };
}

export function apiKeyInvalidError(): RpcError {
  return {
    code: 400,
    status: 'INVALID_ARGUMENT',
    message: MESSAGES.apiKeyInvalid,
    details: [
      {
        '@type': `${RPC}ErrorInfo`,
        reason: 'API_KEY_INVALID',
        domain: 'googleapis.com',
        metadata: { service: 'generativelanguage.googleapis.com' },
      },
      { '@type': `${RPC}LocalizedMessage`, locale: 'en-US', message: MESSAGES.apiKeyInvalid },
    ],
  };
}

/** The 403 Gemini sends for a suspended (revoked, leaked) key. */
export function keySuspendedError(key: string): RpcError {
  const message = `Permission denied: Consumer 'api_key:${key}' has been suspended.`;
  return {
    code: 403,
    status: 'PERMISSION_DENIED',
    message,
    details: [
      {
        '@type': `${RPC}ErrorInfo`,
        reason: 'CONSUMER_SUSPENDED',
        domain: 'googleapis.com',
        metadata: { service: 'generativelanguage.googleapis.com', containerInfo: `api_key:${key}` },
      },
      { '@type': `${RPC}LocalizedMessage`, locale: 'en-US', message },
    ],
  };
}

/** The 400 Gemini sends for a prompt longer than the model's input token limit. */
export function contextWindowError(tokens: number, limit: number): RpcError {
  const message = `The input token count (${tokens}) exceeds the maximum number of tokens allowed (${limit}).`;
  return {
    code: 400,
    status: 'INVALID_ARGUMENT',
    message,
    errors: [{ message, domain: 'global', reason: 'badRequest' }],
  };
}

/** The description `models.get` reads: the model's token limits and methods. */
export function modelDescription(model: string, inputTokenLimit: number): Record<string, unknown> {
  return {
    name: `models/${model}`,
    version: '001',
    displayName: model,
    inputTokenLimit,
    outputTokenLimit: 65_536,
    supportedGenerationMethods: ['generateContent', 'countTokens'],
  };
}

export function notFoundError(request: FakeRequest): RpcError {
  return {
    code: 404,
    status: 'NOT_FOUND',
    message:
      `models/${request.model ?? 'unknown'} is not found for API version ${request.apiVersion ?? 'v1beta'}, ` +
      `or is not supported for ${request.method ?? 'this method'}. Call ListModels to see the list of available ` +
      'models and their supported methods.',
  };
}

/** The start of every quota 429's message, as Gemini words it (the usage link that follows varies). */
const QUOTA_TEXT =
  'You exceeded your current quota, please check your plan and billing details. For more information on this ' +
  'error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to:';

const QUOTA = {
  minute: {
    requests: {
      metric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
      id: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
    },
    inputTokens: {
      metric: 'generativelanguage.googleapis.com/generate_content_free_tier_input_token_count',
      id: 'GenerateContentInputTokensPerModelPerMinute-FreeTier',
    },
  },
  day: {
    requests: {
      metric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
      id: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
    },
    inputTokens: {
      metric: 'generativelanguage.googleapis.com/generate_content_free_tier_input_token_count',
      id: 'GenerateContentInputTokensPerModelPerDay-FreeTier',
    },
  },
} as const;

/**
 * A 429 RESOURCE_EXHAUSTED like Gemini's: QuotaFailure, Help and RetryInfo details, the delay in the text. As
 * Gemini does, the text carries the delay to the nanosecond and RetryInfo only its whole seconds ("58s" for
 * "retry in 58.217843437s"), unless `exactRetryInfo`.
 */
export function quotaError(
  model: string,
  per: 'minute' | 'day',
  metric: 'requests' | 'inputTokens',
  limit: number,
  retryDelayMs: number,
  exactRetryInfo = false,
): RpcError {
  const quota = QUOTA[per][metric];
  const delay = exactRetryInfo ? formatDuration(retryDelayMs) : formatWholeSeconds(retryDelayMs);
  const text = formatGoDuration(retryDelayMs);
  return {
    code: 429,
    status: 'RESOURCE_EXHAUSTED',
    message:
      `${QUOTA_TEXT} https://ai.dev/usage?tab=rate-limit. \n* Quota exceeded for metric: ${quota.metric}, ` +
      `limit: ${limit}, model: ${model}\nPlease retry in ${text}.`,
    details: [
      {
        '@type': `${RPC}QuotaFailure`,
        violations: [
          {
            quotaMetric: quota.metric,
            quotaId: quota.id,
            quotaDimensions: { location: 'global', model },
            quotaValue: String(limit),
          },
        ],
      },
      {
        '@type': `${RPC}Help`,
        links: [
          {
            description: 'Learn more about Gemini API quotas',
            url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
          },
        ],
      },
      { '@type': `${RPC}RetryInfo`, retryDelay: delay },
    ],
  };
}

/**
 * The 429 Gemini sends when the project has no quota at all for a model ("limit: 0", e.g. a model the free tier
 * does not include): one "Quota exceeded ... limit: 0" line per violated metric, QuotaFailure violations without
 * `quotaValue` (the per-day one included unless `dailyViolation` is false), then RetryInfo, as seen in the wild.
 */
export function noQuotaError(model: string, retryDelayMs: number, dailyViolation = true): RpcError {
  const requests = QUOTA.minute.requests.metric;
  const tokens = QUOTA.minute.inputTokens.metric;
  const violation = (metric: string, quotaId: string) => ({
    quotaMetric: metric,
    quotaId,
    quotaDimensions: { location: 'global', model },
  });
  const violations = [
    ...(dailyViolation ? [violation(requests, QUOTA.day.requests.id)] : []),
    violation(requests, QUOTA.minute.requests.id),
    violation(tokens, QUOTA.minute.inputTokens.id),
  ];
  const lines = violations.map(
    (v) => `\n* Quota exceeded for metric: ${v.quotaMetric}, limit: 0, model: ${model}`,
  );
  return {
    code: 429,
    status: 'RESOURCE_EXHAUSTED',
    message: `${QUOTA_TEXT} https://ai.dev/rate-limit. ${lines.join('')}\nPlease retry in ${formatGoDuration(retryDelayMs)}.`,
    details: [
      {
        '@type': `${RPC}Help`,
        links: [
          {
            description: 'Learn more about Gemini API quotas',
            url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
          },
        ],
      },
      { '@type': `${RPC}QuotaFailure`, violations },
      { '@type': `${RPC}RetryInfo`, retryDelay: formatWholeSeconds(retryDelayMs) },
    ],
  };
}

/** The page Google's front end serves for a 502. */
export const HTML_502 =
  '<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 502 (Server Error)!!1</title>\n' +
  '  <p><b>502.</b> <ins>That\u2019s an error.</ins>\n  <p>The server encountered a temporary error and could ' +
  'not complete your request.<p>Please try again in 30 seconds.  <ins>That\u2019s all we know.</ins>\n';
