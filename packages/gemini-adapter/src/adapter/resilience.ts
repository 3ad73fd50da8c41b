import {
  type Clock,
  type CostedTask,
  type ExecutionContext,
  type Policy,
  pipeline,
  type RetryBudget,
  retry,
  retryBudget,
  timeout,
  withCost,
} from '@bulwark/core';
import { blockedFailureOf } from '../errors/blocked.js';
import { emptyFailureOf } from '../errors/empty.js';
import { type GeminiFailure, isGeminiFailure } from '../errors/failure.js';
import { parseGeminiError } from '../errors/parse.js';
import { type ResilienceInfo, recordInfo } from './call-info.js';
import { ContextWindowGuard, type PromptCounter } from './context-window.js';
import { failoverReason, isRetryable } from './decisions.js';
import { type FailoverReason, GeminiResilienceEmitter, type GeminiResilienceStats } from './events.js';
import { dailyQuotaFailure, ModelGuard } from './model-guard.js';
import type { AnswerVerdict, ResolvedOptions } from './options.js';
import { byLoad, retargetReason } from './pool.js';
import type { ClientModels, Target, TargetState } from './target.js';

/** One call as the runner sees it; `send` performs one HTTP attempt against `model` through a target's client. */
export interface CallSpec<T> {
  readonly requested: string;
  readonly callerSignal: AbortSignal | undefined;
  readonly stream: boolean;
  /** Estimated input tokens when the call counts against the model's limits; undefined = not limited. */
  readonly tokens: number | undefined;
  readonly send: (models: ClientModels, model: string, signal: AbortSignal) => Promise<T>;
  /** Counts the prompt with countTokens, for the context-window guard; undefined for calls it does not check. */
  readonly count?: PromptCounter | undefined;
  /** Reads an answer: a failure when it is empty or blocked and the responseCheck says not to return it. */
  readonly check?: ((value: T, model: string) => GeminiFailure | undefined) | undefined;
}

/** Mutable per-call bookkeeping. */
export interface CallState {
  /** The model being tried (the last one tried once the call is over). */
  model: string;
  attempts: number;
  failovers: number;
  /** The latest admission by the model's limiter, to correct with the real token count. */
  costed: CostedTask<unknown> | undefined;
  /** The target being tried (the one that answered once the call is over). */
  target: Target | undefined;
}

type AnyPolicy = Policy<never, any>;

/** A model's guard and the policies calls to it run through. */
interface ModelSlot {
  readonly guard: ModelGuard;
  /** retry, then the breaker. */
  readonly outer: AnyPolicy;
  /** Per attempt: the limiter, then the attempt timeout; one for unary calls, one for stream starts. */
  readonly unary: AnyPolicy;
  readonly streamStart: AnyPolicy;
  /** Unlimited calls (countTokens, embedContent): only the attempt timeout. */
  readonly unlimited: AnyPolicy;
  /** Turns the limiter's refusals into the failures they stand for; undefined without a limiter. */
  readonly refused: ((error: unknown) => never) | undefined;
}

/**
 * The engine behind `withResilience`: per-model retries, breakers, limits and pauses, failover along the
 * fallback list, a total deadline, events and counters.
 */
export class GeminiResilience {
  /**
   * The adapter's events: every retry, wait, failover, breaker change, success and failure ({@link
   * GeminiResilienceEvents}).
   */
  readonly events = new GeminiResilienceEmitter();
  /** The counters behind `stats()`. */
  private readonly counters = { calls: 0, succeeded: 0, failed: 0, requests: 0, retries: 0, failovers: 0 };
  /** The time source (the `clock` option, default `realClock`). */
  readonly clock: Clock;
  private readonly slots = new Map<string, ModelSlot>();
  private readonly total: AnyPolicy;
  /** Shared by the retries of every model. */
  private readonly budget: RetryBudget | undefined;
  /** Models that are followed by another in some fallback list. */
  private readonly withSuccessor: ReadonlySet<string>;
  /** The clients calls go through: the wrapped one first, then the pool's other targets. */
  private readonly pool: readonly Target[];
  /** The context-window guard; undefined when off. */
  private readonly contextWindow: ContextWindowGuard | undefined;

  /**
   * Made by `withResilience`; reach it with `resilienceOf(ai)`.
   * @param options The validated options with their defaults (see {@link ResolvedOptions}).
   * @param targets The clients calls go through: the wrapped one first, then the pool's other targets.
   */
  constructor(
    readonly options: ResolvedOptions,
    targets: readonly Target[],
  ) {
    this.pool = targets;
    this.clock = options.clock;
    this.total = timeout(options.totalTimeout, { clock: this.clock, name: 'totalTimeout' });
    this.budget =
      options.retryBudget === false ? undefined : retryBudget({ ...options.retryBudget, clock: this.clock });
    const withSuccessor = new Set<string>();
    for (const [model, list] of Object.entries(options.fallbacks)) {
      if (list.length > 0) withSuccessor.add(model);
      for (const m of list.slice(0, -1)) withSuccessor.add(m);
    }
    this.withSuccessor = withSuccessor;
    this.contextWindow =
      options.contextWindow === false
        ? undefined
        : new ContextWindowGuard(
            options.contextWindow,
            this.clock,
            timeout(options.attemptTimeout, { clock: this.clock, name: 'contextWindow' }),
          );
  }

  /**
   * The failure an answer is, by the responseCheck options: a blocked or empty GenerateContentResponse (or stream
   * chunk) whose verdict is not 'return'; undefined for an answer to return.
   */
  answerFailure(response: unknown, model: string): GeminiFailure | undefined {
    const { blocked, empty } = this.options.responseCheck;
    if (blocked !== 'return') {
      const failure = blockedFailureOf(response, { model });
      if (failure !== undefined) return failure;
    }
    return empty === 'return' ? undefined : emptyFailureOf(response, { model });
  }

  /** The responseCheck verdict of a failure the check produced (an empty or blocked answer). */
  private verdictOf(error: unknown): AnswerVerdict | undefined {
    if (!isGeminiFailure(error)) return undefined;
    if (error.kind === 'empty') return this.options.responseCheck.empty;
    if (error.kind === 'blocked') return this.options.responseCheck.blocked;
    return undefined;
  }

  /** Retried on the same model: the decision table's retryable failures, and answers whose verdict is 'retry'. */
  private readonly retryable = (error: unknown): boolean =>
    isRetryable(error) || this.verdictOf(error) === 'retry';

  /** Why a failed model hands the call on: the decision table, or an answer whose verdict moves on. */
  private failoverReasonOf(error: unknown): FailoverReason | undefined {
    const reason = failoverReason(error);
    if (reason !== undefined) return reason;
    const verdict = this.verdictOf(error);
    if (verdict !== 'retry' && verdict !== 'failover') return undefined;
    return (error as GeminiFailure).kind === 'empty' ? 'emptyAnswer' : 'blocked';
  }

  /**
   * The counters since the client was wrapped, as a snapshot (like core's `stats()`). Bound, so it survives
   * destructuring: `const { events, stats } = resilienceOf(ai)`.
   */
  readonly stats = (): GeminiResilienceStats => ({ ...this.counters });

  /**
   * The shared state of a model (created on first use), in `project` (default: the wrapped client's; a pool's
   * targets of another project have their own).
   */
  model(name: string, project: string | undefined = this.options.project): ModelGuard {
    return this.slot(name, project).guard;
  }

  /**
   * A target of the pool by its name (the wrapped client's is its `project`, or `'default'`): `reinstate()` it
   * once its key is fixed. Undefined for an unknown name.
   */
  target(name: string): Target | undefined {
    return this.pool.find((target) => target.name === name);
  }

  /** The pool's targets (the wrapped client first), with their credentials' state and counters: a snapshot. */
  targets(): TargetState[] {
    return this.pool.map((target) => target.state());
  }

  /**
   * Runs a call through the policies of its model and, when that model is unavailable, of its fallbacks. A
   * stream's outcome is only known when it ends: the caller reports it with `finishStream`.
   * @internal Called by the `withResilience` wrapper.
   */
  async run<T>(
    spec: CallSpec<T>,
  ): Promise<{ value: T; info: ResilienceInfo; state: CallState; started: number }> {
    const started = this.clock.now();
    const state: CallState = {
      model: spec.requested,
      attempts: 0,
      failovers: 0,
      costed: undefined,
      target: undefined,
    };
    this.counters.calls++;
    try {
      const { value, model } = await this.total.execute(
        (ctx: ExecutionContext) => this.failover(spec, state, ctx.signal),
        { signal: spec.callerSignal },
      );
      const info: ResilienceInfo = {
        requested: spec.requested,
        model,
        attempts: state.attempts,
        failovers: state.failovers,
      };
      recordInfo(value, info);
      state.target!.answered();
      if (!spec.stream) this.succeeded(info, started);
      return { value, info, state, started };
    } catch (error) {
      this.failed(spec.requested, error, state, started);
      throw error;
    }
  }

  /**
   * A started stream ended: read to its end or left early by its reader (`error` undefined), or cut, timed out
   * or aborted. A failure after the first chunk cannot be retried, but the answering model's breaker still
   * hears of it (unless the caller aborted), so streams that keep breaking open the circuit like failing calls.
   * @internal Called by the `withResilience` wrapper.
   */
  finishStream(
    info: ResilienceInfo,
    state: CallState,
    started: number,
    error: unknown,
    aborted: boolean,
  ): void {
    const breaker = this.slot(info.model, state.target?.project).guard.breaker;
    if (error === undefined) {
      breaker?.recordSuccess();
      this.succeeded(info, started);
      return;
    }
    if (!aborted) breaker?.recordFailure(error);
    this.failed(info.requested, error, state, started);
  }

  private succeeded(info: ResilienceInfo, started: number): void {
    this.counters.succeeded++;
    this.events.emit('success', { ...info, duration: this.clock.now() - started });
  }

  private failed(requested: string, error: unknown, state: CallState, started: number): void {
    this.counters.failed++;
    this.events.emit('failure', {
      model: state.model,
      requested,
      error,
      attempts: state.attempts,
      failovers: state.failovers,
      duration: this.clock.now() - started,
    });
  }

  private async failover<T>(
    spec: CallSpec<T>,
    state: CallState,
    signal: AbortSignal,
  ): Promise<{ value: T; model: string }> {
    let chain = [...new Set([spec.requested, ...(this.options.fallbacks[spec.requested] ?? [])])];
    const pooled = this.pool.length > 1;
    for (let i = 0; ; i++) {
      const model = chain[i]!;
      state.model = model;
      let error: unknown;
      let reason: FailoverReason | undefined;
      // Without the guard, no await of its own: a call's path stays as short as before.
      const tooLong =
        this.contextWindow === undefined || spec.tokens === undefined
          ? undefined
          : await this.checkContext(this.contextWindow, model, spec.tokens, spec.count, signal);
      if (tooLong !== undefined) {
        error = tooLong;
      } else {
        // A single client is a pool of one: its order is itself, and nothing is ranked.
        const order = pooled
          ? byLoad(this.pool, (t) => this.slot(model, t.project).guard, this.clock.now())
          : this.pool;
        // Every target's credentials were refused: no model can be reached either.
        if (order.length === 0) throw this.pool[0]!.unusable;
        for (let t = 0; ; t++) {
          const target = order[t]!;
          state.target = target;
          const exhaustedUntil = this.slot(model, target.project).guard.exhaustedUntil();
          if (exhaustedUntil !== undefined) {
            error = dailyQuotaFailure(model, exhaustedUntil, this.clock.now());
          } else {
            try {
              return { value: await this.runOnModel(target, model, spec, state, signal), model };
            } catch (failure) {
              error = failure;
            }
          }
          if (signal.aborted) throw signal.reason;
          reason = exhaustedUntil !== undefined ? 'exhaustedEarlier' : this.failoverReasonOf(error);
          if (!pooled) break;
          // Refused credentials are a clientError: when no target is left, the call ends with it.
          const next = this.retarget(model, order, t, error, reason);
          if (next < 0) break;
          t = next - 1;
        }
      }
      if (isGeminiFailure(error) && error.kind === 'contextWindowExceeded') {
        this.contextWindow?.learn(error, model);
        // A prompt too long for this model goes on to its larger-context models, not its ordinary fallbacks.
        const tried = new Set(chain.slice(0, i + 1));
        const larger = this.contextWindow?.fallbacksOf(model).filter((m) => !tried.has(m)) ?? [];
        if (larger.length === 0) throw error;
        chain = [...chain.slice(0, i + 1), ...larger];
        reason = 'contextWindow';
      }
      const next = chain[i + 1];
      if (reason === undefined || next === undefined) throw error;
      state.failovers++;
      this.counters.failovers++;
      this.events.emit('failover', { model, from: model, to: next, reason, error });
    }
  }

  /** The failure a prompt too long for `model` meets, before anything is sent (through the first usable target). */
  private checkContext(
    guard: ContextWindowGuard,
    model: string,
    tokens: number,
    count: PromptCounter | undefined,
    signal: AbortSignal,
  ): Promise<GeminiFailure | undefined> {
    const target = this.pool.find((t) => t.unusable === undefined) ?? this.pool[0]!;
    return guard.check(model, tokens, target.models, count, signal);
  }

  /**
   * After `order[t]` failed on `model`: the index of the next target to try (event `retarget`), when the failure
   * belongs to the target's project or key (see retargetReason) and a usable one is left; a target whose
   * credentials were refused is marked unusable first (event `targetUnusable`). -1 when the call leaves the
   * model.
   */
  private retarget(
    model: string,
    order: readonly Target[],
    t: number,
    error: unknown,
    reason: FailoverReason | undefined,
  ): number {
    const target = order[t]!;
    const why = retargetReason(error, reason);
    if (why === 'credentials') {
      target.unusable = error as GeminiFailure;
      this.events.emit('targetUnusable', {
        model,
        target: target.name,
        project: target.project,
        error: error as GeminiFailure,
      });
    }
    let next = t + 1;
    while (next < order.length && order[next]!.unusable !== undefined) next++;
    if (why === undefined || next === order.length) return -1;
    this.events.emit('retarget', { model, from: target.name, to: order[next]!.name, reason: why, error });
    return next;
  }

  private runOnModel<T>(
    target: Target,
    model: string,
    spec: CallSpec<T>,
    state: CallState,
    signal: AbortSignal,
  ): Promise<T> {
    const slot = this.slot(model, target.project);
    const { guard } = slot;
    const pooled = this.pool.length > 1;
    const inner = spec.tokens === undefined ? slot.unlimited : spec.stream ? slot.streamStart : slot.unary;
    // The retry's attempt number (0, 1, 2... on this model); the inner execution's own context always says 0.
    let attemptNo = 0;
    const attempt = (ctx: ExecutionContext): Promise<T> => {
      state.attempts++;
      this.counters.requests++;
      target.sent();
      // Only a pool picks by load: a single client reads no clock for it.
      if (pooled) guard.load.started(this.clock.now());
      this.events.emit('request', { model, attempt: attemptNo, stream: spec.stream });
      const check = spec.check;
      return spec.send(target.models, model, ctx.signal).then(
        check === undefined && !pooled
          ? undefined
          : (value: T) => {
              if (pooled) guard.load.settled();
              const failure = check?.(value, model);
              if (failure !== undefined) throw failure;
              return value;
            },
        (error: unknown) => {
          if (pooled) guard.load.settled();
          target.failedOnce();
          throw this.classify(error, guard, ctx.signal);
        },
      );
    };
    return slot.outer.execute(
      async (ctx: ExecutionContext) => {
        attemptNo = ctx.attempt;
        await guard.waitWhilePaused(ctx.signal, this.options.maxRetryDelay, (ms) =>
          this.events.emit('wait', { model, delay: ms, reason: 'paused' }),
        );
        if (spec.tokens === undefined) return inner.execute(attempt, { signal: ctx.signal }) as Promise<T>;
        // A fresh tag per attempt: the limiter charges each attempt, and the last admission gets corrected.
        const task = withCost(attempt, guard.costOf(spec.tokens));
        state.costed = task as CostedTask<unknown>;
        const admitted = inner.execute(task, { signal: ctx.signal }) as Promise<T>;
        return slot.refused === undefined ? admitted : admitted.then(undefined, slot.refused);
      },
      { signal },
    ) as Promise<T>;
  }

  /** Turns what the SDK threw into a GeminiFailure and applies its side effects on the model's shared state. */
  private classify(error: unknown, guard: ModelGuard, signal: AbortSignal): unknown {
    const now = this.clock.now();
    const failure = parseGeminiError(error, { signal, model: guard.model, now });
    if (failure.kind === 'rateLimited' && failure.retryAfterMs !== undefined && failure.retryAfterMs > 0) {
      // The whole delay the server named: callers that cannot wait that long fail over instead of sending.
      const duration = failure.retryAfterMs;
      guard.pause(duration);
      this.events.emit('paused', { model: guard.model, duration });
    } else if (failure.kind === 'dailyQuotaExhausted') {
      const until = now + (failure.retryAfterMs ?? 0);
      // The server's word: a shared store learns it too.
      guard.markExhausted(until, true);
      this.events.emit('quotaExhausted', { model: guard.model, until, quotaId: failure.quotaId });
    }
    return failure;
  }

  /**
   * What the model's limiter refused, for the decision table: a spent RPD window or a shared pause becomes the
   * GeminiFailure it stands for (see ModelGuard.refusal); an RPM/TPM refusal stays a RateLimitedError.
   */
  private refusedBy(guard: ModelGuard): (error: unknown) => never {
    return (error) => {
      const failure = guard.refusal(error);
      if (failure === undefined) throw error;
      const until = failure.kind === 'dailyQuotaExhausted' ? guard.exhaustedUntil() : undefined;
      // Only a refusal that marked the model (RPD, a shared mark): a TPD refusal leaves room for smaller prompts.
      if (until !== undefined)
        this.events.emit('quotaExhausted', { model: guard.model, until, quotaId: undefined });
      throw failure;
    };
  }

  /** A model's slot in a project: one per project and model, whichever of the project's keys calls it. */
  private slot(model: string, project: string | undefined): ModelSlot {
    const key = project === this.options.project ? model : `${project}\u0000${model}`;
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.createSlot(model, project);
      this.slots.set(key, slot);
    }
    return slot;
  }

  private createSlot(model: string, project: string | undefined): ModelSlot {
    const { options, clock } = this;
    // In a pool, another target is somewhere to fail over to: every model gets the default breaker.
    const hasSuccessor = this.withSuccessor.has(model) || this.pool.length > 1;
    const guard = new ModelGuard(model, clock, options, hasSuccessor, project);
    const retries = retry({
      budget: this.budget,
      maxAttempts: options.maxAttempts,
      backoff: options.backoff,
      // Gemini's RetryInfo is whole seconds, rounded down ("0s" with 0.6 s left): never retry sooner than the backoff.
      hintMode: 'floor',
      handle: this.retryable,
      maxDelay: options.maxRetryDelay,
      clock,
      random: options.random,
      name: project === options.project ? `retry:${model}` : `retry:${project}/${model}`,
    });
    retries.on('retry', (event) => {
      this.counters.retries++;
      const kind = isGeminiFailure(event.error) ? event.error.kind : 'other';
      this.events.emit('retry', {
        model,
        attempt: event.attempt,
        delay: event.delay,
        delaySource: event.delaySource,
        kind,
        error: event.error,
      });
    });
    guard.breaker?.on('stateChange', (event) =>
      this.events.emit('breakerState', { model, from: event.from, to: event.to, error: event.error }),
    );
    guard.limiter?.on('queued', (event) =>
      this.events.emit('wait', { model, delay: event.delay, reason: 'limit' }),
    );
    guard.concurrency?.on('queued', (event) =>
      this.events.emit('wait', { model, delay: event.delay, reason: 'concurrency' }),
    );
    const layers = [retries, guard.breaker, guard.concurrency].filter((p) => p !== undefined);
    const outer: AnyPolicy =
      layers.length === 1 ? retries : pipeline(...(layers as unknown as [AnyPolicy, AnyPolicy]));
    const attemptTimeout = timeout(options.attemptTimeout, { clock, name: 'attemptTimeout' });
    const firstChunkTimeout = timeout(options.firstChunkTimeout, { clock, name: 'firstChunkTimeout' });
    return {
      guard,
      outer,
      unary: guard.limiter ? pipeline(guard.limiter, attemptTimeout) : attemptTimeout,
      streamStart: guard.limiter ? pipeline(guard.limiter, firstChunkTimeout) : firstChunkTimeout,
      unlimited: attemptTimeout,
      refused: guard.limiter ? this.refusedBy(guard) : undefined,
    };
  }
}
