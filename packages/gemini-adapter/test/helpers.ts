/** Shared test helpers: both SDK majors, outcome capture, and event-loop polling (no real sleeps). */
import { ApiError as ApiError3, GoogleGenAI as GoogleGenAI3 } from '@google/genai';
import { ApiError as ApiError2, GoogleGenAI as GoogleGenAI2 } from 'genai2';
import type { FakeGemini } from '../src/testing/index.js';

/** The slice of the SDK surface the tests drive; both majors provide it. */
export interface Client {
  models: {
    generateContent(params: Record<string, unknown>): Promise<any>;
    generateContentStream(params: Record<string, unknown>): Promise<AsyncIterable<any>>;
    countTokens(params: Record<string, unknown>): Promise<any>;
    embedContent(params: Record<string, unknown>): Promise<any>;
  };
  chats: {
    create(params: Record<string, unknown>): { sendMessage(params: Record<string, unknown>): Promise<any> };
  };
}

export interface Sdk {
  readonly name: string;
  /** The API version the SDK uses by default. */
  readonly apiVersion: string;
  readonly sdkVersion: string;
  /** Each SDK copy has its own ApiError class: `instanceof` only works against the matching one. */
  readonly ApiError: abstract new (
    ...args: any[]
  ) => Error;
  client(fake: FakeGemini, httpOptions?: Record<string, unknown>): Client;
}

export const sdks: readonly Sdk[] = [
  {
    name: '@google/genai 3.x',
    apiVersion: 'v1',
    sdkVersion: '3.1.0',
    ApiError: ApiError3,
    client: (fake, httpOptions) =>
      new GoogleGenAI3({
        apiKey: 'test',
        httpOptions: { baseUrl: fake.url, ...httpOptions },
      }) as unknown as Client,
  },
  {
    name: '@google/genai 2.x',
    apiVersion: 'v1beta',
    sdkVersion: '2.32.0',
    ApiError: ApiError2,
    client: (fake, httpOptions) =>
      new GoogleGenAI2({
        apiKey: 'test',
        httpOptions: { baseUrl: fake.url, ...httpOptions },
      }) as unknown as Client,
  },
];

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: any };

/** Awaits a promise without throwing, so a test can look at the error it rejected with. */
export async function settle<T>(promise: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Reads a whole stream: the chunks that arrived, and the error that ended it, if any. */
export async function collect(start: Promise<AsyncIterable<any>>): Promise<{ chunks: any[]; error: any }> {
  const chunks: any[] = [];
  try {
    for await (const chunk of await start) chunks.push(chunk);
    return { chunks, error: undefined };
  } catch (error) {
    return { chunks, error };
  }
}

/** Lets the event loop (and its I/O) turn until `condition` holds; fails after `turns` turns. */
export async function until(condition: () => boolean, turns = 20_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('until: condition never became true');
}

export function textOf(chunks: readonly any[]): string {
  return chunks.map((chunk) => chunk.text ?? '').join('');
}
