// What resilientFetch reads from a request before sending it, the way fetch reads it (init wins over a Request's own
// fields): the method, the URL its errors name, the signal that cancels it, the idempotency key in any header shape,
// and whether its body can be sent again (a streamed one: fetch.test.ts). Each is observed on a real loopback server
// answering 503 then 200: a request that may be repeated reaches the server twice, one that may not gets the 503 back.
import { constant, retry } from '@bulwark/core';
import { describe, expect, it } from 'vitest';
import { handle, isHttpStatusError, resilientFetch } from '../src/index.js';
import { failureOf } from './support/bodies.js';
import { hang, reply, serverPerTest, until } from './support/server.js';

const env = serverPerTest();

/** resilientFetch under a retry of two attempts, 0 ms apart, of what this package calls retryable. */
const send = (input: string | URL | Request, init?: RequestInit) =>
  resilientFetch(retry({ handle: handle.retry, maxAttempts: 2, backoff: constant(0) }))(input, init);

/** The server answers 503 once, then 200. */
const busyOnce = () => env.server.script(reply(503, {}, 'busy'), reply(200, {}, 'ok'));

const bodies = () => env.server.seen.map((seen) => seen.body);

describe('the body: sent again only when it can be replayed', () => {
  const encoded = (text: string) => new TextEncoder().encode(text);
  const replayable: [string, () => BodyInit, string][] = [
    ['a string', () => 'text', 'text'],
    ['an ArrayBuffer', () => encoded('buffer').buffer as ArrayBuffer, 'buffer'],
    ['a Uint8Array', () => encoded('bytes'), 'bytes'],
    ['a DataView', () => new DataView(encoded('view').buffer as ArrayBuffer), 'view'],
    ['a Blob', () => new Blob(['blob']), 'blob'],
    ['URLSearchParams', () => new URLSearchParams({ q: '1' }), 'q=1'],
  ];

  it.each(replayable)('%s: a PUT answered 503 is sent again, body intact', async (_kind, body, text) => {
    busyOnce();
    const response = await send(`${env.server.url}/put`, { method: 'PUT', body: body() });
    expect(response.status).toBe(200);
    expect(bodies()).toEqual([text, text]);
  });

  it('a SharedArrayBuffer is replayable bytes too', async () => {
    busyOnce();
    const shared = new SharedArrayBuffer(2);
    new Uint8Array(shared).set([104, 105]);
    const response = await send(`${env.server.url}/put`, { method: 'PUT', body: shared as never });
    expect(response.status).toBe(200);
    expect(env.server.seen).toHaveLength(2);
    expect(bodies()[0]).toBe(bodies()[1]);
  });

  it('FormData: sent again, with the same fields', async () => {
    busyOnce();
    const form = new FormData();
    form.set('field', 'value');
    const response = await send(`${env.server.url}/put`, { method: 'PUT', body: form });
    expect(response.status).toBe(200);
    expect(bodies()).toHaveLength(2);
    for (const body of bodies()) expect(body).toContain('name="field"\r\n\r\nvalue');
  });

  it("a Request's own body is a stream, sent once, also when init.body is null (fetch then sends the Request's)", async () => {
    busyOnce();
    const request = new Request(`${env.server.url}/put`, { method: 'PUT', body: 'own' });
    const response = await send(request, { body: null });
    expect(response.status).toBe(503);
    expect(bodies()).toEqual(['own']);
  });

  it("init.body replaces a Request's body, and is replayable", async () => {
    busyOnce();
    const request = new Request(`${env.server.url}/put`, { method: 'PUT', body: 'own' });
    const response = await send(request, { body: 'replacement' });
    expect(response.status).toBe(200);
    expect(bodies()).toEqual(['replacement', 'replacement']);
  });

  it('a request without a body is replayable', async () => {
    busyOnce();
    expect((await send(`${env.server.url}/get`, { body: null })).status).toBe(200);
    expect(bodies()).toEqual(['', '']);
  });
});

describe('the method: init wins over the Request, upper-cased', () => {
  it("a Request's idempotent method is retried; init's POST over it is not", async () => {
    busyOnce();
    expect((await send(new Request(`${env.server.url}/a`, { method: 'PUT' }))).status).toBe(200);
    busyOnce();
    const response = await send(new Request(`${env.server.url}/b`, { method: 'PUT' }), {
      method: 'POST',
      body: 'x',
    });
    expect(response.status).toBe(503);
    expect(env.server.seen.map((seen) => seen.method)).toEqual(['PUT', 'PUT', 'POST']);
  });

  it("init's idempotent method over a Request's POST is retried; a lower-case method is read upper-cased", async () => {
    busyOnce();
    const request = new Request(`${env.server.url}/a`, { method: 'POST', body: 'x' });
    expect((await send(request, { method: 'PUT', body: 'y' })).status).toBe(200);
    busyOnce();
    expect((await send(`${env.server.url}/b`, { method: 'put', body: 'z' })).status).toBe(200);
    busyOnce();
    expect((await send(`${env.server.url}/c`, { method: 'post', body: 'z' })).status).toBe(503);
    expect(env.server.seen.map((seen) => seen.method)).toEqual(['PUT', 'PUT', 'PUT', 'PUT', 'POST']);
  });
});

describe('the idempotency key: found in every shape of headers', () => {
  const post = (headers: HeadersInit | undefined) =>
    send(`${env.server.url}/orders`, { method: 'POST', body: 'x', headers });

  it.each([
    ['a record', { 'Idempotency-Key': 'k1' }],
    ['a record, lower-case', { 'idempotency-key': 'k1' }],
    ['an array of pairs', [['Idempotency-Key', 'k1']]],
    ['a Headers', new Headers({ 'Idempotency-Key': 'k1' })],
  ] as [string, HeadersInit][])('%s: a POST with the key is retried', async (_shape, headers) => {
    busyOnce();
    expect((await post(headers)).status).toBe(200);
    expect(env.server.seen.map((seen) => seen.headers['idempotency-key'])).toEqual(['k1', 'k1']);
  });

  it('no key, or other headers only: a POST is not retried', async () => {
    for (const headers of [
      undefined,
      {},
      [['x-other', '1']],
      new Headers({ 'x-other': '1' }),
    ] as HeadersInit[]) {
      busyOnce();
      expect((await post(headers)).status).toBe(503);
    }
    expect(env.server.seen).toHaveLength(4);
  });

  it("a Request's own key counts; init.headers replace the Request's, key included", async () => {
    const keyed = () =>
      new Request(`${env.server.url}/orders`, {
        method: 'POST',
        body: 'x',
        headers: { 'Idempotency-Key': 'k2' },
      });
    busyOnce();
    expect((await send(keyed(), { body: 'x' })).status).toBe(200);
    busyOnce();
    expect((await send(keyed(), { body: 'x', headers: { 'x-other': '1' } })).status).toBe(503);
    expect(env.server.seen.map((seen) => seen.headers['idempotency-key'])).toEqual(['k2', 'k2', undefined]);
  });

  it('headers fetch rejects: the call rejects with fetch TypeError, nothing is sent', async () => {
    const failure = await failureOf(post([['bad name', 'x']]));
    expect(failure).toBeInstanceOf(TypeError);
    expect(env.server.seen).toHaveLength(0);
  });

  it('headers a fetch Headers rejects are still handed to a fetch that takes them (as carrying no key)', async () => {
    env.server.script(reply(200, {}, 'ok'));
    const lenient = (input: string | URL | Request, init?: RequestInit) =>
      globalThis.fetch(input, { ...init, headers: { 'x-lenient': '1' } });
    const response = await resilientFetch(retry({ maxAttempts: 1 }), { fetch: lenient })(
      `${env.server.url}/`,
      {
        method: 'POST',
        body: 'x',
        headers: [['bad name', 'x']],
      },
    );
    expect(response.status).toBe(200);
    expect(env.server.seen.map((seen) => seen.headers['x-lenient'])).toEqual(['1']);
  });
});

describe('the URL an error names', () => {
  it('a string, a URL and a Request are named by their URL', async () => {
    env.server.script(reply(503));
    const urls: unknown[] = [];
    for (const input of [
      `${env.server.url}/s`,
      new URL(`${env.server.url}/u`),
      new Request(`${env.server.url}/r`),
    ]) {
      const failure = await failureOf(send(input));
      expect(isHttpStatusError(failure)).toBe(true);
      urls.push((failure as { url: unknown }).url);
    }
    expect(urls).toEqual([`${env.server.url}/s`, `${env.server.url}/u`, `${env.server.url}/r`]);
  });

  it('an object that is not a Request is read as fetch reads it, by its string', async () => {
    env.server.script(reply(503));
    // Fetch stringifies any input that is not a Request, whatever fields it has.
    const target = `${env.server.url}/stringified`;
    const withUrl = { url: 'http://elsewhere.invalid/', toString: () => target };
    const withMethod = { method: 'POST', toString: () => target };
    const failures = [await failureOf(send(withUrl as never)), await failureOf(send(withMethod as never))];
    expect(failures.map((failure) => (failure as { url: unknown }).url)).toEqual([target, target]);
    // Read as a GET, as fetch sends it: retried.
    expect(env.server.seen.map((seen) => `${seen.method} ${seen.path}`)).toEqual(
      Array(4).fill('GET /stringified'),
    );
  });
});

describe('the signal: init wins over the Request', () => {
  it("a Request's own signal cancels the call", async () => {
    env.server.script(hang);
    const controller = new AbortController();
    const call = failureOf(send(new Request(`${env.server.url}/slow`, { signal: controller.signal })));
    await until(() => env.server.seen.length === 1, 'the request');
    const reason = new Error('caller gave up');
    controller.abort(reason);
    expect(await call).toBe(reason);
  });

  it("init.signal cancels it, and the Request's own then does not", async () => {
    env.server.script(hang);
    const own = new AbortController();
    const given = new AbortController();
    const call = failureOf(
      send(new Request(`${env.server.url}/slow`, { signal: own.signal }), { signal: given.signal }),
    );
    await until(() => env.server.seen.length === 1, 'the request');
    own.abort(new Error('ignored'));
    const reason = new Error('init signal');
    given.abort(reason);
    expect(await call).toBe(reason);
  });
});
