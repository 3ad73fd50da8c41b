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

/** Reads version, model and method from a request path; undefined for anything the fake does not serve. */
export function parseRoute(path: string): Route | undefined {
  const match = ROUTE.exec(path);
  if (match === null) return undefined;
  const [, apiVersion, rawModel, method] = match as unknown as [string, string, string, string];
  if (!VERSIONS.has(apiVersion) || !METHODS.has(method)) return undefined;
  let model: string;
  try {
    model = decodeURIComponent(rawModel);
  } catch {
    return undefined;
  }
  return { apiVersion, model, method: method as GeminiMethod };
}

/** The version segment of any path, for logging requests the fake does not route. */
export function versionOf(path: string): string | undefined {
  const first = path.split('/')[1];
  return first !== undefined && VERSIONS.has(first) ? first : undefined;
}
