import { BulwarkError } from '@bulwark/core';
import { describe } from '@bulwark/core/validate';

/** The fleet's circuit as a script answers it (see scripts.ts). */
export interface FleetRecord {
  /** The record's version; 0 when there is none. */
  readonly gen: number;
  /** 'none': no record (never written, or expired). */
  readonly state: 'open' | 'closed' | 'none';
  /** Ms left in the break (0 when closed, or when the break is over: the fleet is half-open). */
  readonly remainingMs: number;
  readonly breaks: number;
}

/**
 * A reply that does not have the shape the scripts give (a client that converts Lua replies differently): reported
 * like any failed store call (`syncError`), the breaker stays local.
 */
export class CircuitReplyError extends BulwarkError {
  constructor(reply: unknown) {
    super(`unexpected reply from a shared-circuit script: ${describe(reply)}`, { code: 'CIRCUIT_REPLY' });
    this.name = 'CircuitReplyError';
  }
}

/** Reads `{gen, state, remaining, breaks}` starting at `at` in a script's reply. */
export function parseRecord(reply: unknown, at = 0): FleetRecord {
  if (!Array.isArray(reply) || reply.length < at + 4) throw new CircuitReplyError(reply);
  const gen = Number(reply[at]);
  const state = String(reply[at + 1]);
  const remainingMs = Number(reply[at + 2]);
  const breaks = Number(reply[at + 3]);
  if (
    !Number.isSafeInteger(gen) ||
    (state !== 'open' && state !== 'closed' && state !== 'none') ||
    !(remainingMs >= 0) ||
    !(breaks >= 0)
  ) {
    throw new CircuitReplyError(reply);
  }
  return { gen, state, remainingMs, breaks };
}

/** The acquire script's answer: whether a permit was granted, and the record. */
export function parseGrant(reply: unknown): { readonly granted: boolean; readonly record: FleetRecord } {
  if (!Array.isArray(reply)) throw new CircuitReplyError(reply);
  return { granted: Number(reply[0]) === 1, record: parseRecord(reply, 1) };
}
