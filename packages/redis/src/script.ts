import type { RedisScriptClient } from './client.js';

/**
 * A Lua script run by SHA-1 (EVALSHA: one round trip, the source is not resent), falling back to its source
 * (EVAL, which also caches it on the server) when the server does not know it: after a restart, a failover,
 * `SCRIPT FLUSH`, or on a Cluster node that has not seen it yet.
 */
export class RedisScript {
  private sha: string | undefined;
  private shaPending: Promise<string> | undefined;

  /** @param source The Lua source. */
  constructor(readonly source: string) {}

  /**
   * Runs the script by its SHA-1, and by its source when the server does not hold it (a `NOSCRIPT` answer); rejects
   * with the client's error otherwise. `onReply` (if given) turns the reply into the answer in the same step: no
   * promise layer of its own per call.
   */
  run<R = unknown>(
    client: RedisScriptClient,
    keys: readonly string[],
    args: readonly string[],
    onReply?: (reply: unknown) => R,
  ): Promise<R> {
    const sha = this.sha;
    if (sha === undefined) return this.digest().then(() => this.run(client, keys, args, onReply));
    let sent: Promise<unknown>;
    try {
      sent = client.evalSha(sha, keys, args);
    } catch (error) {
      return Promise.reject(error);
    }
    return sent.then(onReply as (reply: unknown) => R, (error: unknown) => {
      if (!isNoScript(error)) throw error;
      const resent = client.eval(this.source, keys, args);
      return (onReply === undefined ? resent : resent.then(onReply)) as Promise<R>;
    });
  }

  private digest(): Promise<string> {
    this.shaPending ??= sha1Hex(this.source).then((sha) => (this.sha = sha));
    return this.shaPending;
  }
}

/** True for the error a server sends when it does not hold a script (its message starts with `NOSCRIPT`). */
export function isNoScript(error: unknown): boolean {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
  return message.startsWith('NOSCRIPT');
}

/** WebCrypto's SHA-1: the same on Node, Bun, Deno, workerd and browsers. */
async function sha1Hex(text: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-1', new TextEncoder().encode(text));
  let hex = '';
  for (const byte of new Uint8Array(digest)) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
