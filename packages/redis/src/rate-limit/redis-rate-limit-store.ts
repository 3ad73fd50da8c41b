import type {
  AcquireRequest,
  AcquireResult,
  AdjustRequest,
  KeyState,
  LimitState,
  PauseRequest,
  RateLimitScope,
  RateLimitStore,
  ReadRequest,
  ReadResult,
  RelimitRequest,
} from '@bulwark/core/store';
import { rateLimitAlgorithms } from '@bulwark/core/store';
import { requireFiniteNonNegative } from '@bulwark/core/validate';
import type { RedisScriptClient } from '../client.js';
import type { RedisScript } from '../script.js';
import { type ScopeKeys, scopeKeys } from './keys.js';
import { type ScopeScript, scriptsFor } from './lua/scripts.js';
import { type RedisRateLimitStoreOptions, redisRateLimitStoreSettings } from './options.js';
import { replyArray, replyNumber, replyTime, StoreReplyError } from './replies.js';

/** Scope ids whose last limits a store remembers for relimit (see RedisRateLimitStore.used). */
const MAX_USED = 1024;

/** Shared by every store: each script's SHA-1 is computed once per process. */
const SERVER_CLOCK_SCRIPTS = /* @__PURE__ */ scriptsFor('server');

/** What every call of one scope sends: its script, its keys and (a shared script) its numbers, made once. */
interface ScopeCall {
  readonly script: RedisScript;
  readonly keys: ScopeKeys;
  /** Per limit its numbers as ARGV (see lua/layout.ts); none when the script has them written in. */
  readonly numbers: readonly string[];
  /** The scope's number of limits. */
  readonly n: number;
  /** Reads the answer of an acquire without marks (made once: no closure per call). */
  readonly onAdmit: (reply: unknown) => AcquireResult;
  /** The keys of the key last used (most limiters use one key): not rebuilt per call. */
  lastKey: string | undefined;
  lastKeys: readonly string[];
}

/**
 * A RateLimitStore on Redis (or Valkey): every operation is one script call (EVALSHA; the source once after a
 * restart or on a new node), which runs core's algorithms on the key's state atomically on the server, at the
 * server's time (TIME), so processes on hosts with skewed clocks agree. Keys expire once their usage has (see
 * docs/distributed.md for the guarantees and key names).
 *
 * It does not bound a call's latency nor decide what to do when Redis fails: wrap it for that.
 */
export class RedisRateLimitStore implements RateLimitStore {
  /** The first part of every key name. */
  readonly prefix: string;
  private readonly client: RedisScriptClient;
  private readonly scopes = new WeakMap<RateLimitScope, ScopeCall>();
  /**
   * Per scope id, the limits this store last used for it: what a relimit converts from if Redis has no record. The
   * most recent MAX_USED scopes: a process making limits without end does not keep them all.
   */
  private readonly used = new Map<string, RateLimitScope['limits']>();

  constructor(options: RedisRateLimitStoreOptions) {
    const settings = redisRateLimitStoreSettings(options);
    this.client = settings.client;
    this.prefix = settings.prefix;
  }

  acquire(request: AcquireRequest): Promise<AcquireResult> {
    const { scope, costs, marks } = request;
    const call = this.scopeCall(scope);
    // The marks are answered only when asked for: formatting them is a good part of the script's work.
    const args = this.args(call, marks === undefined ? 'a' : 'm', costs, request.now);
    const onReply =
      marks === undefined ? call.onAdmit : (reply: unknown) => acquireAnswer(reply, call.n, marks);
    return call.script.run(this.client, this.keysOf(call, request.key), args, onReply);
  }

  adjust(request: AdjustRequest): Promise<void> {
    const { deltas, admission } = request;
    const call = this.scopeCall(request.scope);
    const n = call.n;
    const values: number[] = [];
    // A delta without a usable mark is skipped, as core skips a delta that is not finite.
    for (let i = 0; i < n; i++) values.push(Number.isFinite(admission.marks[i]) ? deltas[i]! : 0);
    values.push(admission.at);
    for (let i = 0; i < n; i++) values.push(admission.costs[i]!);
    for (let i = 0; i < n; i++) values.push(admission.marks[i] ?? 0);
    const args = this.args(call, 'j', values, request.now);
    return call.script.run(this.client, this.keysOf(call, request.key), args, ignore);
  }

  pause(request: PauseRequest): Promise<void> {
    let forMs: number;
    try {
      forMs = requireFiniteNonNegative('forMs', request.forMs);
    } catch (error) {
      return Promise.reject(error);
    }
    const key = request.key;
    const call = this.scopeCall(request.scope);
    const args = this.args(call, 'p', [forMs, key === undefined ? 0 : 1], request.now);
    const keys = key === undefined ? [call.keys.pause] : this.keysOf(call, key);
    return call.script.run(this.client, keys, args, ignore);
  }

  read(request: ReadRequest): Promise<ReadResult> {
    const { scope } = request;
    const call = this.scopeCall(scope);
    const args = this.args(call, 'r', [], request.now);
    return call.script.run(this.client, this.keysOf(call, request.key), args, (reply) =>
      readingOf(scope, reply),
    );
  }

  /**
   * Converts every key of the scope to its new numbers in one script at the server's time, as core's in-memory
   * store does: a bucket's backlog keeps its amount in units (rescaled to the new interval), a window's usage stays.
   * It converts from the numbers of the scope's last relimit by any process (kept in Redis), or else from the
   * limits this store last used for the scope; so limiters in several processes changing to the same numbers
   * convert once. See docs/distributed.md ("Changing limits").
   */
  relimit(request: RelimitRequest): Promise<void> {
    const { scope } = request;
    const before = this.used.get(scope.id);
    const call = this.scopeCall(scope);
    const values: Array<number | string> = scope.limits.map((l, i) => {
      const old = before?.[i];
      return l.kind === 'bucket' && old?.kind === 'bucket' ? old.interval : 0;
    });
    values.push(call.keys.states);
    const args = this.args(call, 'l', values, request.now);
    return call.script.run(this.client, [call.keys.pause, call.keys.limits], args, ignore);
  }

  /** The script of a configuration; the test clock's store runs one that takes the time from its arguments. */
  /** @internal */
  protected script(limits: RateLimitScope['limits']): ScopeScript {
    return SERVER_CLOCK_SCRIPTS(limits);
  }

  /** The time to decide at, sent last: none, the server's time is used (the test clock's store sends its own). */
  /** @internal */
  protected time(_now: number): string | undefined {
    return undefined;
  }

  /** ARGV: the op, the numbers of a shared script, the op's values, the test clock's time. */
  private args(call: ScopeCall, op: string, values: ReadonlyArray<number | string>, now: number): string[] {
    const args = [op];
    const numbers = call.numbers;
    for (let i = 0; i < numbers.length; i++) args.push(numbers[i]!);
    for (let i = 0; i < values.length; i++) args.push(String(values[i]));
    const time = this.time(now);
    if (time !== undefined) args.push(time);
    return args;
  }

  private keysOf(call: ScopeCall, key: string): readonly string[] {
    if (key === call.lastKey) return call.lastKeys;
    call.lastKey = key;
    call.lastKeys = [call.keys.pause, call.keys.state + key];
    return call.lastKeys;
  }

  private scopeCall(scope: RateLimitScope): ScopeCall {
    let call = this.scopes.get(scope);
    if (call === undefined) {
      const { script, numbers } = this.script(scope.limits);
      const n = scope.limits.length;
      call = {
        script,
        keys: scopeKeys(this.prefix, scope),
        numbers,
        n,
        onAdmit: (reply) => acquireAnswer(reply, n, undefined),
        lastKey: undefined,
        lastKeys: [],
      };
      this.scopes.set(scope, call);
      this.used.delete(scope.id);
      this.used.set(scope.id, scope.limits);
      if (this.used.size > MAX_USED) this.used.delete(this.used.keys().next().value!);
    }
    return call;
  }
}

function ignore(): void {}

/**
 * An acquire's answer. An admission without marks is the server's time alone (an integer, see lua/operations.ts);
 * with marks { 1, time, marks... }; a refusal { 0, time, wait, the deciding limit }.
 */
function acquireAnswer(reply: unknown, n: number, marks: number[] | undefined): AcquireResult {
  if (marks === undefined && !Array.isArray(reply)) return { admitted: true, at: replyTime(reply, reply) };
  const parts = replyArray(reply, 2, 'an acquire answer');
  const at = replyTime(reply, parts[1]);
  if (parts[0] === 1) {
    if (marks === undefined || parts.length !== n + 2) {
      throw new StoreReplyError(`expected ${marks === undefined ? 'no' : n} marks`, reply);
    }
    for (let i = 0; i < n; i++) marks[i] = replyNumber(reply, parts[i + 2], 'a mark');
    return { admitted: true, at };
  }
  if (parts[0] !== 0 || parts.length !== 4)
    throw new StoreReplyError('expected an admission or a refusal', reply);
  const limit = replyNumber(reply, parts[3], 'the limit');
  if (!Number.isInteger(limit) || limit < -1 || limit >= n) {
    throw new StoreReplyError('the deciding limit is out of range', reply);
  }
  return { admitted: false, retryAfterMs: replyNumber(reply, parts[2], 'the wait'), limit, at };
}

/** A read's answer: { time, the scope's pause, the key's state (if it has one)... }. */
function readingOf(scope: RateLimitScope, reply: unknown): ReadResult {
  const parts = replyArray(reply, 2, 'a reading');
  const now = replyTime(reply, parts[0]);
  const scopePause = replyNumber(reply, parts[1], 'the pause');
  const state =
    parts.length === 2
      ? rateLimitAlgorithms.freshState(scope.limits, now)
      : stateOf(
          scope,
          parts.slice(2).map((v) => replyNumber(reply, v, 'the state')),
          reply,
        );
  if (scopePause > state.pausedUntil) state.pausedUntil = scopePause;
  return { state, now };
}

/** Core's KeyState from the script's flat state (layout in lua/layout.ts). */
function stateOf(scope: RateLimitScope, flat: readonly number[], reply: unknown): KeyState {
  const limits: LimitState[] = [];
  let at = 2;
  for (const l of scope.limits) {
    if (l.kind === 'bucket') {
      limits.push({ tat: flat[at]!, refunded: flat[at + 1]! });
      at += 2;
    } else {
      const slots = l.segments + 1;
      limits.push({
        newest: flat[at]!,
        head: flat[at + 1]!,
        total: flat[at + 2]!,
        counts: flat.slice(at + 3, at + 3 + slots),
        lasts: flat.slice(at + 3 + slots, at + 3 + 2 * slots),
      });
      at += 3 + 2 * slots;
    }
  }
  if (at !== flat.length) throw new StoreReplyError('the state does not fit the limits', reply);
  return { pausedUntil: flat[0]!, since: flat[1]!, limits };
}

/**
 * A rate-limit store on Redis or Valkey, shared by every process given a client of the same server.
 * @throws `InvalidOptionError` (from `@bulwark/core`) naming the option, for an invalid option, when it is called
 * (never on a later call).
 */
export function redisRateLimitStore(options: RedisRateLimitStoreOptions): RedisRateLimitStore {
  return new RedisRateLimitStore(options);
}
