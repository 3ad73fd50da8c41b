/** The real SDK clients the tests drive: both majors of @google/genai, pointed at a fake server. */
import { ApiError as ApiError3, GoogleGenAI as GoogleGenAI3 } from '@google/genai';
import { ApiError as ApiError2, GoogleGenAI as GoogleGenAI2 } from 'genai2';
import type { FakeGemini } from '../../src/testing/index.js';

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

/** A real 3.x client pointed at a port nothing listens on: for tests of options, which never send. */
export function unreachableClient(): GoogleGenAI3 {
  return new GoogleGenAI3({ apiKey: 'x', httpOptions: { baseUrl: 'http://127.0.0.1:9' } });
}
