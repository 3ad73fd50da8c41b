// The HTTP server the suite's resilientFetch tests talk to, on 127.0.0.1 (see src/suite/fetch.ts for the routes).
// Every answer carries CORS headers, so a browser page of another origin may call it and read Retry-After.
import http from 'node:http';

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'retry-after, retry-after-ms',
};
const PREFLIGHT = {
  ...CORS,
  'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE',
  'access-control-allow-headers': '*',
  'access-control-allow-private-network': 'true',
  'access-control-max-age': '600',
};

/** Starts the server on an ephemeral port: `{ url, close() }`. */
export async function startApiServer() {
  const counts = new Map();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const [, route, key] = url.pathname.split('/');
    if (req.method === 'OPTIONS') return void res.writeHead(204, PREFLIGHT).end();
    // Read (and drop) any request body before answering, so the client never sees a reset.
    req.resume();
    req.on('end', () => answer(route, key, url.searchParams, req, res));
  });
  function answer(route, key, params, req, res) {
    const json = (status, value) =>
      res.writeHead(status, { ...CORS, 'content-type': 'application/json' }).end(JSON.stringify(value));
    switch (route) {
      case 'ok':
        return json(200, { ok: true });
      case 'calls':
        return json(200, { calls: counts.get(key) ?? 0 });
      case 'flaky': {
        const calls = (counts.get(key) ?? 0) + 1;
        counts.set(key, calls);
        if (calls > Number(params.get('failures') ?? 1)) return json(200, { calls });
        const headers = { ...CORS, 'content-type': 'text/plain' };
        const retryAfter = params.get('retryAfter');
        if (retryAfter !== null) headers['retry-after'] = retryAfter;
        return res.writeHead(Number(params.get('status') ?? 503), headers).end('busy');
      }
      case 'hang':
        // Never answers; the connection is cut when the client gives up or the server closes.
        return;
      default:
        return json(404, { error: `no route ${req.url}` });
    }
  }
  return listen(server);
}

/** Serves the files of `files` (a map of path -> [content type, body]) for the browser page, on its own origin. */
export async function startPageServer(files) {
  const server = http.createServer((req, res) => {
    const file = files.get(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    if (file === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(file[1]);
  });
  return listen(server);
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
