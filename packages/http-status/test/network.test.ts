import http from 'node:http';
import { TimeoutError } from '@bulwark/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAbortError, isNotSentError, isTransientNetworkError, networkErrorCode } from '../src/index.js';
import { closedPort as freePort, startServer, type TestServer } from './support/server.js';

/** Node's system-error shape: an Error with code and syscall. */
const sysError = (code: string, syscall = 'read') =>
  Object.assign(new Error(`${syscall} ${code}`), { code, syscall, errno: -1 });
const fetchFailed = (cause: unknown) => new TypeError('fetch failed', { cause });

/** The deprecated @google/generative-ai SDK's own error: a prefixed message, fetch's stack, no cause. */
class GoogleGenerativeAIError extends Error {
  constructor(message: string) {
    super(`[GoogleGenerativeAI Error]: ${message}`);
    this.name = 'GoogleGenerativeAIError';
  }
}
const legacyGeminiError = (message: string) => new GoogleGenerativeAIError(message);

describe('network error shapes (synthetic)', () => {
  it.each([
    ['fetch failed: ECONNRESET', fetchFailed(sysError('ECONNRESET')), 'ECONNRESET', false],
    ['fetch failed: ECONNREFUSED', fetchFailed(sysError('ECONNREFUSED', 'connect')), 'ECONNREFUSED', true],
    ['fetch failed: ETIMEDOUT', fetchFailed(sysError('ETIMEDOUT', 'connect')), 'ETIMEDOUT', false],
    ['fetch failed: EPIPE', fetchFailed(sysError('EPIPE', 'write')), 'EPIPE', false],
    ['fetch failed: DNS ENOTFOUND', fetchFailed(sysError('ENOTFOUND', 'getaddrinfo')), 'ENOTFOUND', true],
    ['fetch failed: DNS EAI_AGAIN', fetchFailed(sysError('EAI_AGAIN', 'getaddrinfo')), 'EAI_AGAIN', true],
    ['fetch failed: EHOSTUNREACH', fetchFailed(sysError('EHOSTUNREACH', 'connect')), 'EHOSTUNREACH', true],
    [
      'fetch failed: undici SocketError',
      fetchFailed(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })),
      'UND_ERR_SOCKET',
      false,
    ],
    [
      'fetch failed: connect timeout',
      fetchFailed(Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' })),
      'UND_ERR_CONNECT_TIMEOUT',
      true,
    ],
    [
      'fetch failed: headers timeout',
      fetchFailed(Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' })),
      'UND_ERR_HEADERS_TIMEOUT',
      false,
    ],
    [
      'fetch failed: happy-eyeballs AggregateError',
      fetchFailed(
        Object.assign(new AggregateError([sysError('ECONNREFUSED', 'connect')], ''), {
          code: 'ECONNREFUSED',
        }),
      ),
      'ECONNREFUSED',
      true,
    ],
    [
      'fetch failed: AggregateError without a code',
      fetchFailed(new AggregateError([sysError('ECONNREFUSED', 'connect'), sysError('ECONNREFUSED')], '')),
      'ECONNREFUSED',
      true,
    ],
    [
      'terminated (body cut off)',
      new TypeError('terminated', {
        cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
      }),
      'UND_ERR_SOCKET',
      false,
    ],
    ['terminated without a cause', new TypeError('terminated'), 'TERMINATED', false],
    [
      'node:http socket hang up',
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      'ECONNRESET',
      false,
    ],
    ['node:http refused', sysError('ECONNREFUSED', 'connect'), 'ECONNREFUSED', true],
    [
      // node-fetch (v2 and v3) when the connection closes in the middle of a body.
      'node-fetch FetchError: Premature close',
      Object.assign(
        new Error('Invalid response body while trying to fetch https://api.example/v1/x: Premature close'),
        {
          name: 'FetchError',
          type: 'system',
          errno: 'ERR_STREAM_PREMATURE_CLOSE',
          code: 'ERR_STREAM_PREMATURE_CLOSE',
        },
      ),
      'ERR_STREAM_PREMATURE_CLOSE',
      false,
    ],
    [
      'a Node stream closed early',
      Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }),
      'ERR_STREAM_PREMATURE_CLOSE',
      false,
    ],
    [
      // The deprecated @google/generative-ai SDK rethrows fetch's TypeError as its own error, dropping the cause.
      'the deprecated Gemini SDK: Error fetching from ...: fetch failed',
      legacyGeminiError(
        'Error fetching from https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent: fetch failed',
      ),
      'FETCH_FAILED',
      false,
    ],
    [
      'the deprecated Gemini SDK in a browser: Failed to fetch',
      legacyGeminiError(
        'Error fetching from https://generativelanguage.googleapis.com/v1/models/gemini-pro:streamGenerateContent?alt=sse: Failed to fetch',
      ),
      'FETCH_FAILED',
      false,
    ],
    [
      'axios network error',
      Object.assign(new Error('Network Error'), { code: 'ERR_NETWORK' }),
      'ERR_NETWORK',
      false,
    ],
    [
      'axios timeout',
      Object.assign(new Error('timeout of 10ms exceeded'), { code: 'ECONNABORTED' }),
      'ECONNABORTED',
      false,
    ],
  ])('%s -> %s (not sent: %s)', (_label, error, code, notSent) => {
    expect(networkErrorCode(error)).toBe(code);
    expect(isTransientNetworkError(error)).toBe(true);
    expect(isNotSentError(error)).toBe(notSent);
  });

  it.each([
    ['an AbortError', new DOMException('This operation was aborted', 'AbortError')],
    ['an AbortSignal.timeout() reason', new DOMException('The operation timed out', 'TimeoutError')],
    ['fetch failed caused by an abort', fetchFailed(new DOMException('aborted', 'AbortError'))],
    [
      'terminated caused by an abort',
      new TypeError('terminated', { cause: new DOMException('x', 'AbortError') }),
    ],
    ['axios cancel', Object.assign(new Error('canceled'), { code: 'ERR_CANCELED', name: 'CanceledError' })],
    ['a bad port', fetchFailed(new Error('bad port'))],
    [
      'a TLS error',
      fetchFailed(Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' })),
    ],
    ['an invalid URL', new TypeError('Failed to parse URL from nope')],
    ['a plain error', new Error('ECONNRESET in the message only')],
    [
      'the deprecated Gemini SDK: an HTTP error',
      legacyGeminiError(
        'Error fetching from https://x/v1beta/models/m:generateContent: [503 Service Unavailable] fetch failed',
      ),
    ],
    [
      'a fetch failed wrapper whose cause is not a network error',
      new Error('Error fetching from https://x/: fetch failed', {
        cause: fetchFailed(new Error('bad port')),
      }),
    ],
    ['a string', 'ECONNRESET'],
    ['null', null],
    ['a Bulwark TimeoutError', new TimeoutError(100)],
  ])('%s is not a transient network error', (_label, error) => {
    expect(isTransientNetworkError(error)).toBe(false);
    expect(isNotSentError(error)).toBe(false);
  });

  it('recognises aborts, but not a Bulwark attempt timeout', () => {
    expect(isAbortError(new DOMException('x', 'AbortError'))).toBe(true);
    expect(isAbortError(new DOMException('x', 'TimeoutError'))).toBe(true);
    expect(isAbortError(new TimeoutError(10))).toBe(false);
    expect(isAbortError(new Error('x'))).toBe(false);
  });

  it('survives cyclic and very deep cause chains', () => {
    const a: { cause?: unknown; code?: string } = {};
    const b = { cause: a };
    a.cause = b;
    expect(isTransientNetworkError(a)).toBe(false);
    let deep: unknown = sysError('ECONNRESET');
    for (let i = 0; i < 50; i++) deep = new Error('wrap', { cause: deep });
    expect(isTransientNetworkError(deep)).toBe(false);
  });
});

describe('network error shapes of other runtimes (as Deno, browsers and workerd report them)', () => {
  const denoFailure = (detail: string) =>
    fetchFailed(new Error(`error sending request for url (http://127.0.0.1:9/): ${detail}`));

  it.each([
    [
      'Deno: refused',
      'client error (Connect): tcp connect error: Connection refused (os error 111)',
      'ECONNREFUSED',
      true,
    ],
    [
      'Deno: DNS, no such host',
      'client error (Connect): dns error: failed to lookup address information: Name or service not known',
      'ENOTFOUND',
      true,
    ],
    [
      'Deno: DNS, temporary failure',
      'client error (Connect): dns error: failed to lookup address information: Temporary failure in name resolution',
      'EAI_AGAIN',
      true,
    ],
    [
      'Deno: unreachable',
      'client error (Connect): tcp connect error: Network is unreachable (os error 101)',
      'ENETUNREACH',
      true,
    ],
    [
      'Deno: reset',
      'client error (SendRequest): connection error: Connection reset by peer (os error 104)',
      'ECONNRESET',
      false,
    ],
    [
      'Deno: closed early',
      'client error (SendRequest): connection closed before message completed',
      'ECONNRESET',
      false,
    ],
  ])('%s', (_, detail, code, notSent) => {
    const error = denoFailure(detail);
    expect(networkErrorCode(error)).toBe(code);
    expect(isTransientNetworkError(error)).toBe(true);
    expect(isNotSentError(error)).toBe(notSent);
  });

  it('Deno: a TLS failure is not transient', () => {
    const error = denoFailure('client error (Connect): invalid peer certificate: UnknownIssuer');
    expect(networkErrorCode(error)).toBeUndefined();
  });

  it.each([['Failed to fetch'], ['Load failed'], ['NetworkError when attempting to fetch resource.']])(
    'a browser: bare TypeError(%j) is transient, never "not sent"',
    (message) => {
      const error = new TypeError(message);
      expect(networkErrorCode(error)).toBe('FETCH_FAILED');
      expect(isNotSentError(error)).toBe(false);
    },
  );

  it('a browser message on something other than a causeless TypeError is not read', () => {
    expect(networkErrorCode(new Error('Failed to fetch'))).toBeUndefined();
    expect(networkErrorCode(new TypeError('Failed to fetch', { cause: new Error('x') }))).toBeUndefined();
  });

  it('workerd: \'Network connection lost.\' is transient, never "not sent"', () => {
    const error = Object.assign(new Error('Network connection lost.'), { retryable: true });
    expect(networkErrorCode(error)).toBe('CONNECTION_LOST');
    expect(isNotSentError(error)).toBe(false);
  });

  it('an abort wrapping such a message is still no network error', () => {
    const abort = new DOMException('gone', 'AbortError');
    expect(networkErrorCode(new TypeError('Failed to fetch', { cause: abort }))).toBeUndefined();
  });
});

describe('network error shapes (real sockets on 127.0.0.1)', () => {
  let server: TestServer;
  let base: string;
  let closedPort: number;

  beforeAll(async () => {
    server = await startServer(Date.now);
    server.script((req, res) => {
      if (req.url === '/reset') req.socket.resetAndDestroy();
      else if (req.url === '/close') req.socket.destroy();
      else if (req.url === '/cut') {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('partial', () => req.socket.destroy());
      }
    });
    base = server.url;
    closedPort = await freePort();
  });

  afterAll(() => server.close());

  const fetchError = (url: string) =>
    fetch(url).then(
      () => undefined,
      (error: unknown) => error,
    );
  const httpError = (url: string) =>
    new Promise<unknown>((resolve) => {
      http
        .get(url, (res) => {
          res.resume();
          resolve(undefined);
        })
        .on('error', resolve);
    });

  it('fetch: refused connection, reset, closed socket, body cut off', async () => {
    const refused = await fetchError(`http://127.0.0.1:${closedPort}/`);
    expect(networkErrorCode(refused)).toBe('ECONNREFUSED');
    expect(isNotSentError(refused)).toBe(true);

    const reset = await fetchError(`${base}/reset`);
    expect(networkErrorCode(reset)).toBe('ECONNRESET');
    expect(isNotSentError(reset)).toBe(false);

    const closed = await fetchError(`${base}/close`);
    expect(isTransientNetworkError(closed)).toBe(true);
    expect(isNotSentError(closed)).toBe(false);

    const response = await fetch(`${base}/cut`);
    const cut = await response.text().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(cut).toBeInstanceOf(TypeError);
    expect(isTransientNetworkError(cut)).toBe(true);
  });

  it('node:http: refused connection and socket hang up', async () => {
    const refused = await httpError(`http://127.0.0.1:${closedPort}/`);
    expect(networkErrorCode(refused)).toBe('ECONNREFUSED');
    const hangUp = await httpError(`${base}/close`);
    expect(networkErrorCode(hangUp)).toBe('ECONNRESET');
    expect(isNotSentError(hangUp)).toBe(false);
  });

  it('a caller abort of a real fetch is not a network error', async () => {
    const controller = new AbortController();
    controller.abort(new Error('caller gave up'));
    const error = await fetch(`${base}/reset`, { signal: controller.signal }).catch((e: unknown) => e);
    expect((error as Error).message).toBe('caller gave up');
    expect(isTransientNetworkError(error)).toBe(false);
  });
});
