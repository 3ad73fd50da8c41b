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
} from '@bulwark/core/store';
import { rateLimitAlgorithms } from '@bulwark/core/store';
import { requireFiniteNonNegative } from '@bulwark/core/validate';
import type { RedisScriptClient } from '../client.js';
import type { RedisScript } from '../script.js';
import { type ScopeKeys, scopeKeys } from './keys.js';
import type { LimitKind } from './lua/layout.js';
import { scriptsByShape } from './lua/scripts.js';
import { type RedisRateLimitStoreOptions, redisRateLimitStoreSettings } from './options.js';
import { replyArray, replyNumber, replyTime, StoreReplyError } from './replies.js';

/** Shared by every store: each shape's SHA-1 is computed once per process. */
const SERVER_CLOCK_SCRIPTS = /* @__PURE__ */ scriptsByShape('server');

/** What every call of one scope sends: its script, its keys and its limits as script arguments, built once. */
interface ScopeCall {
  readonly script: RedisScript;
  readonly keys: ScopeKeys;
  /** Per limit its numbers (see lua/layout.ts). */
  readonly limits: readonly string[];
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

  constructor(options: RedisRateLimitStoreOptions) {
    const settings = redisRateLimitStoreSettings(options);
    this.client = settings.client;
    this.prefix = settings.prefix;
  }

  async acquire(request: AcquireRequest): Promise<AcquireResult> {
    const { scope, costs, marks } = request;
    const n = scope.limits.length;
    // The marks are answered only when asked for: formatting them is a good part of the script's work.
    const reply = await this.run(scope, request.key, marks === undefined ? 'a' : 'm', costs, request.now);
    // An admission without marks is its time alone (see lua/operations.ts).
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

  async adjust(request: AdjustRequest): Promise<void> {
    const { deltas, admission } = request;
    const n = request.scope.limits.length;
    const args: Array<number | string> = [];
    // A delta without a usable mark is skipped, as core skips a delta that is not finite.
    for (let i = 0; i < n; i++) args.push(Number.isFinite(admission.marks[i]) ? deltas[i]! : 0);
    args.push(admission.at);
    for (let i = 0; i < n; i++) args.push(admission.costs[i]!);
    for (let i = 0; i < n; i++) args.push(admission.marks[i] ?? 0);
    await this.run(request.scope, request.key, 'j', args, request.now);
  }

  async pause(request: PauseRequest): Promise<void> {
    const forMs = requireFiniteNonNegative('forMs', request.forMs);
    const key = request.key;
    await this.run(
      request.scope,
      key ?? '',
      'p',
      [forMs, key === undefined ? 0 : 1],
      request.now,
      key === undefined,
    );
  }

  async read(request: ReadRequest): Promise<ReadResult> {
    const { scope } = request;
    const reply = await this.run(scope, request.key, 'r', [], request.now);
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

  /** The script of a shape of limits; the test clock's store runs one that takes the time from its arguments. */
  /** @internal */
  protected script(shape: readonly LimitKind[]): RedisScript {
    return SERVER_CLOCK_SCRIPTS(shape);
  }

  /** The time to decide at, sent last: none, the server's time is used (the test clock's store sends its own). */
  /** @internal */
  protected time(_now: number): string | undefined {
    return undefined;
  }

  private run(
    scope: RateLimitScope,
    key: string,
    op: string,
    values: ReadonlyArray<number | string>,
    now: number,
    scopeOnly = false,
  ): Promise<unknown> {
    const call = this.scopeCall(scope);
    const limits = call.limits;
    const args = [op];
    for (let i = 0; i < limits.length; i++) args.push(limits[i]!);
    for (let i = 0; i < values.length; i++) args.push(String(values[i]));
    const time = this.time(now);
    if (time !== undefined) args.push(time);
    let keys: readonly string[];
    if (scopeOnly) keys = [call.keys.pause];
    else if (key === call.lastKey) keys = call.lastKeys;
    else {
      keys = call.lastKeys = [call.keys.pause, call.keys.state + key];
      call.lastKey = key;
    }
    return call.script.run(this.client, keys, args);
  }

  private scopeCall(scope: RateLimitScope): ScopeCall {
    let call = this.scopes.get(scope);
    if (call === undefined) {
      const limits: string[] = [];
      for (const l of scope.limits) {
        if (l.kind === 'bucket') limits.push(String(l.capacity), String(l.interval));
        else limits.push(String(l.capacity), String(l.window), String(l.segments));
      }
      const script = this.script(scope.limits.map((l) => l.kind));
      call = { script, keys: scopeKeys(this.prefix, scope), limits, lastKey: undefined, lastKeys: [] };
      this.scopes.set(scope, call);
    }
    return call;
  }
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
