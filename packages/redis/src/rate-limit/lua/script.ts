import { ALGORITHMS } from './algorithms.js';
import { BUCKET } from './bucket.js';
import { OPERATIONS } from './operations.js';
import { ARGUMENT_TIME, PRELUDE, SERVER_TIME } from './prelude.js';
import { STATE } from './state.js';
import { WINDOW } from './window.js';

/**
 * The rate-limit script: one source for the four operations (so one SHA-1, one NOSCRIPT fallback, and calls of
 * every kind reach the server in the order they were made). `server` reads the time with TIME, as production
 * always does; `argument` takes it from the last ARGV, for tests that must decide at a virtual clock's times.
 *
 * Redis runs the whole chunk on every call, so every `local function` is a new closure each time (with its
 * upvalues, tens of ns apiece, and garbage for Lua's GC): functions that only some calls need (an adjust's, the
 * windows') are made only on those calls.
 */
export function rateLimitSource(time: 'server' | 'argument'): string {
  return [
    '-- Bulwark rate-limit store, state format 2',
    PRELUDE,
    time === 'server' ? SERVER_TIME : ARGUMENT_TIME,
    BUCKET,
    WINDOW,
    ALGORITHMS,
    STATE,
    OPERATIONS,
  ].join('\n');
}
