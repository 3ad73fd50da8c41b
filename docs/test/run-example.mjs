/**
 * Runs one extracted docs example (an ES module) in this process, with no network:
 *
 * - a connection to anything but the loopback fails at once (the example is wrong to need one);
 * - `fetch` to https://api.example.com or https://example.com reaches a loopback echo server (JSON
 *   `{ ok, method, path }`), and `fetch` to the Gemini API reaches the fake Gemini server of
 *   `@bulwark/gemini-adapter/testing` (GEMINI_API_KEY is set), both started on first use;
 * - an env of docs/test/envs/ (second argument) may set that fake server up for the example's story
 *   (`fakeGemini`: its options; `onFakeGemini(fake)`: scripts) and check afterwards what it saw (`check(fake)`).
 *
 * Usage: node run-example.mjs <example.mjs> [env]. The example must let the process exit by itself.
 */
import http from 'node:http';
import net from 'node:net';
import { pathToFileURL } from 'node:url';

const [examplePath, envName] = process.argv.slice(2);
if (examplePath === undefined) throw new Error('usage: node run-example.mjs <example.mjs> [env]');

process.env.GEMINI_API_KEY ??= 'docs-example-key';

// 1. No network but the loopback.
const isLoopback = (host) =>
  host === undefined || host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1';
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  // net.connect() passes its normalised arguments as an array; a direct call passes (options) or (port, host).
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const host = typeof first === 'object' && first !== null ? (first.path ? undefined : first.host) : args[1];
  if (typeof host === 'string' && !isLoopback(host)) {
    throw new Error(`docs example tried to connect to ${host}: examples may only reach loopback servers`);
  }
  return connect.apply(this, args);
};

// 2. Stand-ins for the remote services the docs name.
const servers = [];
let echoOrigin;
async function echoServer() {
  if (echoOrigin === undefined) {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, method: req.method, path: req.url }));
      });
    });
    echoOrigin = new Promise((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)),
    );
    servers.push({ close: () => new Promise((resolve) => server.close(resolve).closeAllConnections()) });
  }
  return echoOrigin;
}

let gemini;
async function fakeGemini() {
  gemini ??= (async () => {
    const { startFakeGemini } = await import('@bulwark/gemini-adapter/testing');
    const fake = await startFakeGemini(env.fakeGemini ?? {});
    servers.push(fake);
    env.onFakeGemini?.(fake);
    return fake;
  })();
  return (await gemini).url;
}

const routes = [
  [/^https:\/\/(api\.)?example\.com(?=[/?#]|$)/, echoServer],
  [/^https:\/\/generativelanguage\.googleapis\.com(?=[/?#]|$)/, fakeGemini],
];
const realFetch = globalThis.fetch;
globalThis.fetch = async function fetch(input, init) {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  for (const [pattern, start] of routes) {
    if (pattern.test(url)) {
      const target = url.replace(pattern, await start());
      return realFetch(input instanceof Request ? new Request(target, input) : target, init);
    }
  }
  return realFetch(input, init);
};

// 3. The scenario (after the stand-ins, so that what it imports sees them), the example, then the stand-ins go away: whatever is left must not keep the process alive.
const env = envName === undefined ? {} : await import(new URL(`./envs/${envName}.mjs`, import.meta.url).href);
await import(pathToFileURL(examplePath).href);
if (env.check !== undefined) {
  if (gemini === undefined) throw new Error(`env ${envName}: the example never called the Gemini API`);
  env.check(await gemini);
}
await Promise.all(servers.map((server) => server.close()));
process.stderr.write('[docs-example] finished\n');
