import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a test's redis-server, to make the network misbehave without mocking Redis:
 * `stall()` holds every byte in both directions (a black hole: connections stay open, nothing arrives, like a dead
 * host whose connections have not timed out), `resume()` delivers what was held and lets traffic flow again,
 * `drop()` cuts every connection (clients see them close and reconnect through the proxy).
 */
export interface StallProxy {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly url: string;
  /** Whether traffic is being held. */
  readonly stalled: boolean;
  /** Client connections currently open through the proxy. */
  readonly connections: number;
  /** Bytes currently held (both directions). */
  readonly heldBytes: number;
  stall(): void;
  resume(): void;
  drop(): void;
  /** While true, new connections are closed as soon as they open (a server that is gone); default false. */
  refuse(on: boolean): void;
  close(): Promise<void>;
}

/** One client connection and its connection to the server, with the bytes held in each direction. */
class Link {
  readonly toServer: Buffer[] = [];
  readonly toClient: Buffer[] = [];

  constructor(
    readonly client: Socket,
    readonly server: Socket,
  ) {}

  held(): number {
    let n = 0;
    for (const chunk of this.toServer) n += chunk.length;
    for (const chunk of this.toClient) n += chunk.length;
    return n;
  }

  flush(): void {
    for (const chunk of this.toServer.splice(0)) this.server.write(chunk);
    for (const chunk of this.toClient.splice(0)) this.client.write(chunk);
  }

  destroy(): void {
    this.client.destroy();
    this.server.destroy();
  }
}

export async function startStallProxy(target: { host: string; port: number }): Promise<StallProxy> {
  const links = new Set<Link>();
  let stalled = false;
  let refusing = false;

  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    const link = new Link(client, upstream);
    links.add(link);
    const forward = (held: Buffer[], to: Socket) => (chunk: Buffer) => {
      if (stalled) held.push(chunk);
      else to.write(chunk);
    };
    client.on('data', forward(link.toServer, upstream));
    upstream.on('data', forward(link.toClient, client));
    const end = () => {
      links.delete(link);
      link.destroy();
    };
    // Either side closing or failing closes the other (the server going away closes the client's connection).
    for (const socket of [client, upstream]) {
      socket.on('close', end);
      socket.on('error', end);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    get stalled() {
      return stalled;
    },
    get connections() {
      return links.size;
    },
    get heldBytes() {
      let n = 0;
      for (const link of links) n += link.held();
      return n;
    },
    stall() {
      stalled = true;
    },
    resume() {
      stalled = false;
      for (const link of links) link.flush();
    },
    drop() {
      for (const link of [...links]) link.destroy();
      links.clear();
    },
    refuse(on: boolean) {
      refusing = on;
    },
    close() {
      for (const link of links) link.destroy();
      links.clear();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
