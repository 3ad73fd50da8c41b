import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { VirtualClock } from '@bulwark/core/testing';
import { afterEach, beforeEach, expect } from 'vitest';

/** One request as the test server saw it. */
export interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  /** The request body, once fully received. */
  body: string;
  /** `now()` (a virtual clock in most tests) when the request arrived. */
  readonly at: number;
  /** Which connection carried it (1 = the first one this server accepted). */
  readonly connection: number;
  /** The client went away before the answer was complete (abort or timeout). */
  closedEarly: boolean;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, seen: Seen) => void;

export interface TestServer {
  readonly url: string;
  readonly seen: Seen[];
  /** Answers each request from now on with the next handler; the last one repeats. */
  script(...handlers: Handler[]): void;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1, port 0. */
export async function startServer(now: () => number): Promise<TestServer> {
  const seen: Seen[] = [];
  let handlers: Handler[] = [];
  let scriptStart = 0;
  const connections = new WeakMap<Socket, number>();
  let nextConnection = 1;
  const server = http.createServer((req, res) => {
    const entry: Seen = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: '',
      at: now(),
      connection: connections.get(req.socket) ?? 0,
      closedEarly: false,
    };
    seen.push(entry);
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      entry.body += chunk;
    });
    res.on('close', () => {
      if (!res.writableFinished) entry.closedEarly = true;
    });
    const handler = handlers[Math.min(seen.length - 1 - scriptStart, handlers.length - 1)];
    if (handler) handler(req, res, entry);
    else res.writeHead(500).end('no handler');
  });
  server.on('connection', (socket: Socket) => {
    connections.set(socket, nextConnection++);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    script(...next) {
      handlers = next;
      scriptStart = seen.length;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** What each test of a file gets from `serverPerTest`: a fresh virtual clock and a server stamping requests with it. */
export interface ServerPerTest {
  readonly clock: VirtualClock;
  /** Replaceable within a test (a test that closes it may start another): the one here is closed after the test. */
  server: TestServer;
}

/**
 * Gives each test of the file (or describe block) a fresh `VirtualClock` and a loopback server whose `seen.at` reads
 * it, closed after the test; unless `noTimersLeft` is false, the test must also leave no timer on the clock.
 */
export function serverPerTest(options: { readonly noTimersLeft?: boolean } = {}): ServerPerTest {
  const env = {} as { clock: VirtualClock; server: TestServer };
  beforeEach(async () => {
    env.clock = new VirtualClock();
    env.server = await startServer(() => env.clock.now());
  });
  afterEach(async () => {
    await env.server.close();
    if (options.noTimersLeft !== false) expect(env.clock.pendingTimers).toBe(0);
  });
  return env;
}

/** A port on 127.0.0.1 that nothing listens on: one that was free a moment ago (a connection to it is refused). */
export async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Answers with a status, headers and a body. */
export const reply =
  (status: number, headers: Record<string, string> = {}, body = ''): Handler =>
  (req, res) => {
    // Answer once the request body is in, as real servers do.
    req.on('end', () => res.writeHead(status, headers).end(body));
    req.resume();
  };

/** Resets the connection without answering (TCP RST). */
export const resetConnection: Handler = (req) => {
  req.socket.resetAndDestroy();
};

/** Never answers. */
export const hang: Handler = (req) => {
  req.resume();
};

/**
 * Polls `condition` with tiny real waits: for things that happen over real sockets, where there is no event to
 * await. Fails after about 5 s rather than hanging the test.
 */
export async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`Timed out waiting for: ${what}`);
}
