import type { GeminiMethod } from './types.js';

export interface Route {
  readonly apiVersion: string;
  readonly model: string;
  readonly method: GeminiMethod;
}

const METHODS: ReadonlySet<string> = new Set<GeminiMethod>([
  'generateContent',
  'streamGenerateContent',
  'countTokens',
  'embedContent',
  'batchEmbedContents',
]);

const VERSIONS: ReadonlySet<string> = new Set(['v1', 'v1beta']);

// /{version}/models/{model}:{method} (tuned models live under tunedModels/).
const ROUTE = /^\/([^/]+)\/(?:models|tunedModels)\/([^/:]+):([A-Za-z]+)$/;

// GET /{version}/models/{model}: the model's description (models.get).
const MODEL = /^\/([^/]+)\/models\/([^/:]+)$/;

/** Reads version, model and method from a request path; undefined for anything the fake does not serve. */
export function parseRoute(path: string, httpMethod = 'POST'): Route | undefined {
  if (httpMethod === 'GET') {
    const match = MODEL.exec(path);
    if (match === null || !VERSIONS.has(match[1]!)) return undefined;
    const model = decoded(match[2]!);
    return model === undefined ? undefined : { apiVersion: match[1]!, model, method: 'get' };
  }
  if (httpMethod !== 'POST') return undefined;
  const match = ROUTE.exec(path);
  if (match === null) return undefined;
  const [, apiVersion, rawModel, method] = match as unknown as [string, string, string, string];
  if (!VERSIONS.has(apiVersion) || !METHODS.has(method)) return undefined;
  const model = decoded(rawModel);
  return model === undefined ? undefined : { apiVersion, model, method: method as GeminiMethod };
}

function decoded(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** The version segment of any path, for logging requests the fake does not route. */
export function versionOf(path: string): string | undefined {
  const first = path.split('/')[1];
  return first !== undefined && VERSIONS.has(first) ? first : undefined;
}
