import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, InvalidOptionError } from '@bulwark/core';
import {
  clockOf,
  describe,
  optionalString,
  orDefault,
  requireIntegerIn,
  requireNames,
  requireNonEmptyString,
  requireOptions,
  requireRecord,
} from '@bulwark/core/validate';
import { fault, ok } from './behaviours.js';
import { Exchange } from './exchange.js';
import { CapacityGate, QuotaBook } from './limits.js';
import { inputTokensOf, promptOf } from './request-text.js';
import { respond } from './respond.js';
import { parseRoute, versionOf } from './routes.js';
import { checkStep, ScriptBook } from './script-book.js';
import type { Behaviour, FakeGemini, FakeGeminiOptions, FakeRequest, RequestMatcher, Step } from './types.js';
import {
  apiKeyInvalidError,
  contextWindowError,
  errorBody,
  keySuspendedError,
  MESSAGES,
  overloadedError,
} from './wire.js';

const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** FakeRequest as the server fills it in; callers see it read-only. */
type MutableRequest = { -readonly [K in keyof FakeRequest]: FakeRequest[K] };

/** Quotas cover generate and embed calls; countTokens has its own, much larger, limits at Google. */
const QUOTA_METHODS: ReadonlySet<string> = new Set([
  'generateContent',
  'streamGenerateContent',
  'embedContent',
  'batchEmbedContents',
]);

interface Settings {
  readonly port: number;
  readonly clock: Clock;
  readonly text: string | ((request: FakeRequest) => string);
  readonly defaultStep: Step;
  readonly models: ReadonlySet<string> | undefined;
  readonly apiKey: string | undefined;
  readonly keys: ReadonlyMap<string, string> | undefined;
  readonly revokedKeys: ReadonlySet<string>;
  readonly inputTokenLimits: Readonly<Record<string, number>>;
  readonly embeddingDimensions: number;
}

/** The default `inputTokenLimit` of a model `inputTokenLimits` does not name (Gemini 2.5's). */
const DEFAULT_INPUT_TOKEN_LIMIT = 1_048_576;

/** Methods whose prompt must fit the model's input token limit. */
const GENERATE_METHODS: ReadonlySet<string> = new Set(['generateContent', 'streamGenerateContent']);

function keysOf(value: unknown): ReadonlyMap<string, string> | undefined {
  if (value === undefined) return undefined;
  const keys = requireRecord('keys', value, 'an object of API key -> project');
  for (const [key, project] of Object.entries(keys)) requireNonEmptyString(`keys.${key}`, project);
  return new Map(Object.entries(keys as Record<string, string>));
}

function tokenLimitsOf(value: unknown): Readonly<Record<string, number>> {
  if (value === undefined) return {};
  const limits = requireRecord('inputTokenLimits', value, 'an object keyed by model name');
  for (const [model, limit] of Object.entries(limits))
    requireIntegerIn(`inputTokenLimits.${model}`, limit, 1, 2 ** 31);
  return limits as Readonly<Record<string, number>>;
}

/** A model's input token limit: its own, `'*'`'s, or the default. */
function inputTokenLimitOf(limits: Readonly<Record<string, number>>, model: string): number {
  if (Object.hasOwn(limits, model)) return limits[model]!;
  return Object.hasOwn(limits, '*') ? limits['*']! : DEFAULT_INPUT_TOKEN_LIMIT;
}

function checkSettings(options: FakeGeminiOptions): Settings {
  requireOptions(options);
  const text = orDefault<unknown>(options.text, (request: FakeRequest) => request.prompt);
  if (typeof text !== 'string' && typeof text !== 'function') {
    throw new InvalidOptionError(
      'text',
      `expected a string or a function of the request, got ${describe(text)}`,
    );
  }
  const defaultStep = checkStep(orDefault<unknown>(options.defaultBehaviour, ok()), 'defaultBehaviour');
  const models =
    options.models === undefined ? undefined : requireNames('models', options.models, 'model ids');
  return {
    port: requireIntegerIn('port', orDefault(options.port, 0), 0, 65_535),
    clock: clockOf(options.clock),
    text: text as Settings['text'],
    defaultStep,
    models: models === undefined ? undefined : new Set(models),
    apiKey: optionalString('apiKey', options.apiKey),
    keys: keysOf(options.keys),
    revokedKeys: new Set(
      options.revokedKeys === undefined ? [] : requireNames('revokedKeys', options.revokedKeys, 'API keys'),
    ),
    inputTokenLimits: tokenLimitsOf(options.inputTokenLimits),
    embeddingDimensions: requireIntegerIn(
      'embeddingDimensions',
      orDefault(options.embeddingDimensions, 8),
      1,
      4096,
    ),
  };
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** Reads the whole body; undefined when the client went away or sent too much. */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks).toString('utf8') : undefined));
    req.on('error', () => resolve(undefined));
    req.on('close', () => resolve(undefined));
  });
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** Names a behaviour for the request log. */
function labelOf(behaviour: Behaviour): string {
  switch (behaviour.kind) {
    case 'rpcError':
    case 'raw':
      return behaviour.label;
    case 'quota':
      return behaviour.per === 'day' ? 'dailyQuota' : 'rateLimited';
    default:
      return behaviour.kind;
  }
}

/**
 * Starts a Gemini REST imitation on 127.0.0.1 that plays scripted faults, sheds load above a capacity, enforces
 * quotas and records every request. Point the SDK at it with `httpOptions: { baseUrl: fake.url }`.
 * @throws Nothing synchronously: the promise rejects with `InvalidOptionError` naming the option for an invalid
 * option, or with the server's error when the port cannot be listened on.
 */
export async function startFakeGemini(options: FakeGeminiOptions = {}): Promise<FakeGemini> {
  const settings = checkSettings(options);
  const { clock } = settings;
  const capacity = new CapacityGate(options.capacity);
  const quotas = new QuotaBook(options.quotas);
  const book = new ScriptBook();
  const requests: MutableRequest[] = [];
  const live = new Set<Exchange>();
  let closing: Promise<void> | undefined;

  /** Chooses what answers a request: fixed checks, then scripts, then the simulations, then defaults. */
  function choose(request: MutableRequest, bodyOk: boolean): Step {
    if (request.method === undefined) {
      return fault.status(
        {
          code: 404,
          status: 'NOT_FOUND',
          message: `Method not found: ${request.httpMethod} ${request.path}`,
        },
        { label: 'unrouted' },
      );
    }
    if (!bodyOk) {
      return fault.status(
        { code: 400, status: 'INVALID_ARGUMENT', message: MESSAGES.invalidJson },
        { label: 'invalidJson' },
      );
    }
    const key = request.headers['x-goog-api-key'] ?? '';
    if (settings.revokedKeys.has(key)) return fault.status(keySuspendedError(key), { label: 'keyRevoked' });
    const known = settings.keys === undefined ? settings.apiKey === undefined : settings.keys.has(key);
    if (!known && key !== settings.apiKey)
      return fault.status(apiKeyInvalidError(), { label: 'apiKeyInvalid' });
    if (settings.models !== undefined && !settings.models.has(request.model ?? '')) return fault.notFound();
    if (request.method === 'get') return ok();
    if (GENERATE_METHODS.has(request.method)) {
      const limit = inputTokenLimitOf(settings.inputTokenLimits, request.model ?? '');
      if (request.inputTokens > limit) {
        return fault.status(contextWindowError(request.inputTokens, limit), {
          label: 'contextWindowExceeded',
        });
      }
    }
    const scripted = book.take(request);
    if (scripted !== undefined) return scripted;
    const now = clock.now();
    if (QUOTA_METHODS.has(request.method)) {
      const refusal = quotas.check(request.model, request.inputTokens, now, request.project);
      if (refusal !== undefined) return refusal;
    }
    if (!capacity.admit(request.model, now)) return fault.status(overloadedError(), { label: 'capacity' });
    return book.defaultFor(request) ?? settings.defaultStep;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = parseRoute(url.pathname, req.method);
    const request: MutableRequest = {
      index: requests.length,
      time: clock.now(),
      httpMethod: req.method ?? 'GET',
      path: url.pathname,
      url: url.pathname + url.search,
      apiVersion: route?.apiVersion ?? versionOf(url.pathname),
      model: route?.model,
      method: route?.method,
      stream: route?.method === 'streamGenerateContent',
      body: undefined,
      headers: headersOf(req),
      project: undefined,
      prompt: '',
      inputTokens: 0,
      answer: 'pending',
      aborted: false,
    };
    requests.push(request);
    const exchange = new Exchange(req, res, clock, (finished) => {
      live.delete(exchange);
      if (!finished) request.aborted = true;
    });
    live.add(exchange);
    if (closing !== undefined) {
      exchange.shutdown();
      return;
    }

    const text = await readBody(req);
    if (text === undefined || exchange.closed) {
      request.answer = 'unread';
      request.aborted = true;
      if (!exchange.closed) exchange.reset();
      return;
    }
    const parsed = parseJson(text);
    request.body = parsed.ok ? parsed.value : text;
    request.prompt = promptOf(request.body);
    request.inputTokens = inputTokensOf(request.body);
    request.project = settings.keys?.get(request.headers['x-goog-api-key'] ?? '');

    const step = choose(request, parsed.ok);
    let behaviour: Behaviour;
    try {
      behaviour = typeof step === 'function' ? step(request) : step;
    } catch (error) {
      behaviour = fault.status(
        { code: 500, status: 'INTERNAL', message: `fake Gemini: the script step threw: ${String(error)}` },
        { label: 'stepThrew' },
      );
    }
    request.answer = labelOf(behaviour);
    await respond(exchange, request, behaviour, {
      ...settings,
      inputTokenLimit: (model) => inputTokenLimitOf(settings.inputTokenLimits, model),
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A bug in a behaviour must not crash the test process: answer 500 if still possible.
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json; charset=UTF-8' });
        res.end(JSON.stringify(errorBody({ code: 500, status: 'INTERNAL', message: String(error) })));
      } else {
        res.destroy();
      }
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: origin,
    baseUrl: origin,
    port,
    requests,
    get pendingSteps() {
      return book.pending;
    },
    script(matcherOrSteps: RequestMatcher | readonly Step[], steps?: readonly Step[]): void {
      if (Array.isArray(matcherOrSteps)) book.add(undefined, matcherOrSteps);
      else book.add(matcherOrSteps as RequestMatcher, steps as readonly Step[]);
    },
    setDefault(matcherOrStep: RequestMatcher | Step, step?: Step): void {
      if (step === undefined) book.setDefault(undefined, matcherOrStep as Step);
      else book.setDefault(matcherOrStep as RequestMatcher, step);
    },
    reset(): void {
      book.clear();
      requests.length = 0;
      capacity.reset();
      quotas.reset();
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        for (const exchange of live) exchange.shutdown();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  } as FakeGemini;
}
