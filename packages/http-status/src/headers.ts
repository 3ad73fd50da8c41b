/**
 * Response headers as the common HTTP clients hand them over: a fetch `Headers`, anything with `get(name)` (axios'
 * AxiosHeaders), or a plain record with string / string[] / number values (node:http, got, undici.request).
 */
export type HeadersLike =
  | {
      /** The header's value (a string, or what the client keeps: an array, a number). */
      get(name: string): unknown;
      /** Every header name, when the client can list them. */
      keys?: () => Iterable<string>;
    }
  | Readonly<Record<string, unknown>>;

/** Case-insensitive read access to any HeadersLike. Malformed values read as absent, never as a throw. */
export interface HeaderReader {
  /** The header's value; for a repeated header given as an array, the first one. */
  get(name: string): string | undefined;
  /** Every header name present, lower-cased. */
  names(): string[];
}

const EMPTY: HeaderReader = { get: () => undefined, names: () => [] };

/**
 * Most header names read from one object. Node keeps at most 2000 headers per response by default; the bound
 * keeps a hostile `keys()` that never ends from hanging the reader.
 */
const MAX_HEADERS = 2000;

/** A header value as text: a string, a finite number, or the first of an array of them (one level only). */
function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (!Array.isArray(value)) return undefined;
  const first: unknown = value[0];
  if (typeof first === 'string') return first;
  // Number.isFinite is false for anything but a number.
  return Number.isFinite(first) ? String(first) : undefined;
}

/** Runs a read of a foreign object; a throwing getter, trap or iterator reads as `fallback`. */
function safely<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/** Up to MAX_HEADERS names from `iterable`, lower-cased; names that are not strings are skipped. */
function boundedNames(iterable: Iterable<unknown>): string[] {
  const names: string[] = [];
  for (const name of iterable) {
    if (typeof name === 'string') names.push(name.toLowerCase());
    if (names.length >= MAX_HEADERS) break;
  }
  return names;
}

/** Indexes up to MAX_HEADERS entries of a record by lower-cased name (the first spelling wins). */
function indexRecord(headers: Record<string, unknown>, map: Map<string, unknown>): void {
  for (const key of Object.keys(headers).slice(0, MAX_HEADERS)) {
    const lower = key.toLowerCase();
    if (!map.has(lower))
      map.set(
        lower,
        safely(() => headers[key], undefined),
      );
  }
}

/**
 * Wraps `headers` for case-insensitive reads. Never throws and never hangs, whatever `headers` is: a throwing
 * getter, Proxy trap or iterator, or a value of the wrong type, reads as an absent header.
 */
export function headerReader(headers: HeadersLike | null | undefined): HeaderReader {
  if (typeof headers !== 'object' || headers === null) return EMPTY;
  const getter = safely(() => (headers as { get?: unknown }).get, undefined);
  if (typeof getter === 'function') {
    const keys = safely(() => (headers as { keys?: unknown }).keys, undefined);
    return {
      get: (name) => safely(() => asText(getter.call(headers, name)), undefined),
      names: () =>
        safely(
          () =>
            boundedNames(
              typeof keys === 'function' ? (keys.call(headers) as Iterable<unknown>) : Object.keys(headers),
            ),
          [],
        ),
    };
  }
  // A plain record: index it by lower-cased name once, so 'Retry-After' and 'retry-after' both work.
  let index: Map<string, unknown> | undefined;
  const byName = (): Map<string, unknown> => {
    if (index === undefined) {
      const map = new Map<string, unknown>();
      safely(() => indexRecord(headers as Record<string, unknown>, map), undefined);
      index = map;
    }
    return index;
  };
  return {
    get: (name) => safely(() => asText(byName().get(name.toLowerCase())), undefined),
    names: () => [...byName().keys()],
  };
}

/** Copies any HeadersLike into a fetch `Headers`, skipping entries `Headers` rejects (invalid names or values). */
export function toHeaders(headers: HeadersLike | null | undefined): Headers {
  if (safely(() => headers instanceof Headers, false)) {
    return headers as Headers;
  }
  const result = new Headers();
  // headerReader reads anything that is not an object as no headers.
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
