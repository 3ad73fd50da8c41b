/** Plays one behaviour onto an exchange, in the wire format of the request's method. */
import type { Exchange } from './exchange.js';
import { eachContentText } from './request-text.js';
import type { Behaviour, FakeRequest } from './types.js';
import {
  candidateBlockedResponse,
  countTokensResponse,
  embeddingValues,
  emptyResponse,
  errorBody,
  generateResponse,
  modelDescription,
  promptBlockedResponse,
  quotaError,
  splitText,
  streamChunk,
} from './wire.js';

export interface ResponderSettings {
  readonly text: string | ((request: FakeRequest) => string);
  readonly embeddingDimensions: number;
  /** A model's input token limit, for `models.get`. */
  readonly inputTokenLimit: (model: string) => number;
}

const JSON_TYPE = 'application/json; charset=UTF-8';
const SSE_TYPE = 'text/event-stream';

export async function respond(
  exchange: Exchange,
  request: FakeRequest,
  behaviour: Behaviour,
  settings: ResponderSettings,
): Promise<void> {
  if (behaviour.delayMs !== undefined && !(await exchange.wait(behaviour.delayMs))) return;
  switch (behaviour.kind) {
    case 'rpcError': {
      const error = typeof behaviour.error === 'function' ? behaviour.error(request) : behaviour.error;
      exchange.sendJson(error.code, errorBody(error));
      return;
    }
    case 'quota': {
      const { per, metric, limit, retryDelayMs, exactRetryInfo } = behaviour;
      const error = quotaError(request.model ?? 'unknown', per, metric, limit, retryDelayMs, exactRetryInfo);
      exchange.sendJson(429, errorBody(error));
      return;
    }
    case 'raw':
      exchange.send(behaviour.status, behaviour.contentType, behaviour.body);
      return;
    case 'hang':
      await exchange.wait(undefined);
      return;
    case 'reset':
      if (behaviour.afterChunks === undefined || behaviour.afterChunks === 0) {
        exchange.reset();
        return;
      }
      break;
    default:
      break;
  }
  if (request.stream) await respondStream(exchange, request, behaviour, settings);
  else await respondUnary(exchange, request, behaviour, settings);
}

function textFor(request: FakeRequest, behaviour: Behaviour, settings: ResponderSettings): string {
  const source = behaviour.kind === 'ok' && behaviour.text !== undefined ? behaviour.text : settings.text;
  return typeof source === 'function' ? source(request) : source;
}

/** The successful body of a unary method. */
function unaryBody(request: FakeRequest, behaviour: Behaviour, settings: ResponderSettings): unknown {
  const text = textFor(request, behaviour, settings);
  switch (request.method) {
    case 'countTokens':
      return countTokensResponse(request);
    case 'get':
      return modelDescription(request.model ?? 'unknown', settings.inputTokenLimit(request.model ?? ''));
    case 'embedContent':
      return { embedding: { values: embeddingValues(request.prompt, settings.embeddingDimensions) } };
    case 'batchEmbedContents':
      return {
        embeddings: eachContentText(request.body).map((t) => ({
          values: embeddingValues(t, settings.embeddingDimensions),
        })),
      };
    default:
      break;
  }
  if (behaviour.kind === 'blocked') {
    return behaviour.where === 'prompt'
      ? promptBlockedResponse(request, behaviour.reason)
      : candidateBlockedResponse(request, behaviour.reason);
  }
  if (behaviour.kind === 'noFinish') return generateResponse(request, text, undefined);
  if (behaviour.kind === 'empty') return emptyResponse(request, behaviour.finishReason, behaviour.parts);
  return generateResponse(
    request,
    text,
    behaviour.kind === 'ok' ? (behaviour.finishReason ?? 'STOP') : 'STOP',
  );
}

async function respondUnary(
  exchange: Exchange,
  request: FakeRequest,
  behaviour: Behaviour,
  settings: ResponderSettings,
): Promise<void> {
  if (behaviour.kind === 'streamError') {
    exchange.sendJson(behaviour.error.code, errorBody(behaviour.error));
    return;
  }
  const body = JSON.stringify(unaryBody(request, behaviour, settings));
  switch (behaviour.kind) {
    case 'stall':
      exchange.startBody(200, JSON_TYPE);
      if (!(await exchange.wait(behaviour.ms))) return;
      exchange.end(body);
      return;
    case 'truncated':
      exchange.startBody(200, JSON_TYPE);
      exchange.end(body.slice(0, Math.floor(body.length / 2)));
      return;
    case 'reset':
      // Half the body, then the connection drops mid-transfer.
      exchange.startBody(200, JSON_TYPE);
      if (await exchange.write(body.slice(0, Math.floor(body.length / 2)))) exchange.drop();
      return;
    default:
      exchange.send(200, JSON_TYPE, body);
  }
}

function event(data: unknown): string {
  return `data: ${JSON.stringify(data)}\r\n\r\n`;
}

/** How many chunks a behaviour streams before its twist (0 for plain answers). */
function chunksBefore(behaviour: Behaviour): number {
  switch (behaviour.kind) {
    case 'stall':
    case 'streamError':
    case 'truncated':
    case 'blocked':
      return behaviour.afterChunks;
    case 'reset':
      return behaviour.afterChunks ?? 0;
    default:
      return 0;
  }
}

async function respondStream(
  exchange: Exchange,
  request: FakeRequest,
  behaviour: Behaviour,
  settings: ResponderSettings,
): Promise<void> {
  if (behaviour.kind === 'blocked' && behaviour.where === 'prompt') {
    exchange.startBody(200, SSE_TYPE);
    exchange.end(event(promptBlockedResponse(request, behaviour.reason)));
    return;
  }
  if (behaviour.kind === 'empty') {
    exchange.startBody(200, SSE_TYPE);
    for (let i = 0; i < behaviour.chunksBefore; i++) {
      if (!(await exchange.write(event(emptyResponse(request, undefined, behaviour.parts))))) return;
    }
    exchange.end(event(emptyResponse(request, behaviour.finishReason, behaviour.parts)));
    return;
  }
  const text = textFor(request, behaviour, settings);
  const before = chunksBefore(behaviour);
  const wanted = behaviour.kind === 'ok' || behaviour.kind === 'noFinish' ? (behaviour.chunks ?? 3) : 3;
  // Always keep at least one piece after the twist, so a stall or cut happens inside the answer.
  const pieces = splitText(text, Math.max(wanted, before + 1));
  while (pieces.length <= before) pieces.push('');
  const finishReason =
    behaviour.kind === 'noFinish'
      ? undefined
      : behaviour.kind === 'ok'
        ? (behaviour.finishReason ?? 'STOP')
        : 'STOP';
  const chunkDelay = behaviour.kind === 'ok' ? (behaviour.chunkDelayMs ?? 0) : 0;

  exchange.startBody(200, SSE_TYPE);
  const leading = behaviour.kind === 'ok' ? (behaviour.leadingEmptyChunks ?? 0) : 0;
  for (let i = 0; i < leading; i++) {
    if (!(await exchange.write(event(emptyResponse(request, undefined, 'none'))))) return;
  }
  let sent = '';
  for (let i = 0; i < pieces.length; i++) {
    if (i === before) {
      const goOn = await twist(exchange, request, behaviour, sent);
      if (!goOn) return;
    }
    if (i > 0 && chunkDelay > 0 && !(await exchange.wait(chunkDelay))) return;
    const piece = pieces[i]!;
    sent += piece;
    const last = i === pieces.length - 1;
    if (!(await exchange.write(event(streamChunk(request, piece, sent, last ? finishReason : undefined)))))
      return;
  }
  exchange.end();
}

/** The fault's moment inside a stream; false when the stream must not go on. */
async function twist(
  exchange: Exchange,
  request: FakeRequest,
  behaviour: Behaviour,
  sent: string,
): Promise<boolean> {
  switch (behaviour.kind) {
    case 'stall':
      return exchange.wait(behaviour.ms);
    case 'streamError':
      exchange.end(event(errorBody(behaviour.error)));
      return false;
    case 'truncated': {
      const whole = event(streamChunk(request, 'and then', `${sent}and then`, undefined));
      exchange.end(whole.slice(0, Math.floor(whole.length / 2)));
      return false;
    }
    case 'reset':
      exchange.drop();
      return false;
    case 'blocked':
      exchange.end(event(candidateBlockedResponse(request, behaviour.reason)));
      return false;
    default:
      return true;
  }
}
