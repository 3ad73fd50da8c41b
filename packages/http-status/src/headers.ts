/**
 * Response headers as the common HTTP clients hand them over: a fetch `Headers`, anything with `get(name)` (axios'
 * AxiosHeaders), or a plain record with string / string[] / number values (node:http, got, undici.request).
 */
export type HeadersLike =
  | { get(name: string): unknown; keys?: () => Iterable<string> }
  | Readonly<Record<string, unknown>>;

/** Case-insensitive read access to any HeadersLike. Malformed values read as absent, never as a throw. */
export interface HeaderReader {
  /** The header's value; for a repeated header given as an array, the first one. */
  get(name: string): string | undefined;
  /** Every header name present, lower-cased. */
  names(): string[];
}

const EMPTY: HeaderReader = { get: () => undefined, names: () => [] };

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) return asText(value[0]);
  return undefined;
}

function safely<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/** Wraps `headers` for case-insensitive reads. */
export function headerReader(headers: HeadersLike | null | undefined): HeaderReader {
  if (typeof headers !== 'object' || headers === null) return EMPTY;
  const getter = (headers as { get?: unknown }).get;
  if (typeof getter === 'function') {
    const keys = (headers as { keys?: unknown }).keys;
    return {
      get: (name) => safely(() => asText(getter.call(headers, name)), undefined),
      names: () =>
        safely(
          () =>
            (typeof keys === 'function'
              ? Array.from(keys.call(headers) as Iterable<string>)
              : Object.keys(headers)
            ).map((n) => String(n).toLowerCase()),
          [],
        ),
    };
  }
  // A plain record: index it by lower-cased name once, so 'Retry-After' and 'retry-after' both work.
  let index: Map<string, unknown> | undefined;
  const byName = (): Map<string, unknown> => {
    if (index === undefined) {
      index = new Map();
      for (const key of Object.keys(headers)) {
        const lower = key.toLowerCase();
        if (!index.has(lower)) index.set(lower, (headers as Record<string, unknown>)[key]);
      }
    }
    return index;
  };
  return {
    get: (name) => asText(byName().get(name.toLowerCase())),
    names: () => [...byName().keys()],
  };
}

/** Copies any HeadersLike into a fetch `Headers`, skipping entries `Headers` rejects (invalid names or values). */
export function toHeaders(headers: HeadersLike | null | undefined): Headers {
  if (typeof Headers !== 'undefined' && headers instanceof Headers) return headers;
  const result = new Headers();
  if (typeof headers !== 'object' || headers === null) return result;
  const reader = headerReader(headers);
  for (const name of reader.names()) {
    const value = reader.get(name);
    if (value === undefined) continue;
    try {
      result.append(name, value);
    } catch {
      // Not representable as a fetch header: left out rather than failing the error that carries it.
    }
  }
  return result;
}
