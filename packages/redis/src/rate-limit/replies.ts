import { BulwarkError, guardFor } from '@bulwark/core';

/**
 * A reply of the rate-limit script that does not have the shape the store expects (a proxy or a server that
 * answers something else, a key written by another program). The store never acts on such a reply.
 */
export class StoreReplyError extends BulwarkError {
  /** What the server answered. */
  readonly reply: unknown;

  constructor(message: string, reply: unknown) {
    super(`Unexpected reply from the Redis rate-limit script: ${message}`, { code: 'STORE_REPLY' });
    this.name = 'StoreReplyError';
    this.reply = reply;
  }
}

/** True for a {@link StoreReplyError} (code `STORE_REPLY`), from any copy of the package. */
export const isStoreReplyError = /* @__PURE__ */ guardFor<StoreReplyError>('STORE_REPLY');

/** A number the script sent as a string ('%.17g': Redis would truncate a Lua number to an integer). */
export function replyNumber(reply: unknown, value: unknown, what: string): number {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string'
        ? value === 'inf'
          ? Number.POSITIVE_INFINITY
          : value === '-inf'
            ? Number.NEGATIVE_INFINITY
            : value.trim() === ''
              ? Number.NaN
              : Number(value)
        : Number.NaN;
  if (Number.isNaN(n)) throw new StoreReplyError(`${what} is not a number`, reply);
  return n;
}

/**
 * The time of a reply: the server's, a whole number of µs (an integer reply, exact), or the test clock's, in ms as
 * '%.17g'. The store's time is ms: the script decides at the same µs / 1000.
 */
export function replyTime(reply: unknown, value: unknown): number {
  return typeof value === 'number' ? value / 1000 : replyNumber(reply, value, 'the time');
}

export function replyArray(reply: unknown, minLength: number, what: string): readonly unknown[] {
  if (!Array.isArray(reply) || reply.length < minLength) {
    throw new StoreReplyError(`expected ${what}`, reply);
  }
  return reply;
}
