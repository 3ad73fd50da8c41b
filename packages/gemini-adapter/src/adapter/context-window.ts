import type { Clock, Policy } from '@bulwark/core';
import { GeminiFailure, isGeminiFailure } from '../errors/failure.js';
import type { ResolvedContextWindow } from './options.js';
import type { ClientModels } from './target.js';

/** A failed `models.get` is asked again after this long (a model may be published meanwhile). */
const LOOKUP_RETRY = 10 * 60_000;

/** Counts a prompt's input tokens against `model` through `models` (the caller's countTokens request). */
export type PromptCounter = (
  models: ClientModels,
  model: string,
  signal: AbortSignal,
) => Promise<number | undefined>;

interface Known {
  readonly limit: number | undefined;
  /** Until when the answer holds (Infinity for a limit the server gave). */
  readonly until: number;
}

/**
 * The context-window guard: each model's input token limit (from the options, or `models.get` once, cached)
 * checked before a prompt is sent. The cheap estimate decides when it is well below the limit; above
 * `countAbove` of it, `countTokens` decides (when counting fails, the estimate does).
 */
export class ContextWindowGuard {
  private readonly known = new Map<string, Known>();
  private readonly lookups = new Map<string, Promise<number | undefined>>();

  constructor(
    private readonly options: ResolvedContextWindow,
    private readonly clock: Clock,
    /** The attempt timeout: bounds each lookup and count request. */
    private readonly bounded: Policy<never, any>,
  ) {}

  /** The larger-context models to try after `model`, in order. */
  fallbacksOf(model: string): readonly string[] {
    return this.options.fallbacks[model] ?? [];
  }

  /**
   * The failure a prompt of `estimate` tokens meets on `model`, or undefined when it fits (or the limit is
   * unknown). Rejects with the signal's reason when the caller aborts.
   */
  async check(
    model: string,
    estimate: number,
    models: ClientModels,
    count: PromptCounter | undefined,
    signal: AbortSignal,
  ): Promise<GeminiFailure | undefined> {
    const limit = await this.limitOf(model, models, signal);
    if (limit === undefined || estimate <= limit * this.options.countAbove) return undefined;
    let tokens = estimate;
    if (count !== undefined) {
      try {
        tokens =
          (await this.bounded.execute((ctx) => count(models, model, ctx.signal), { signal })) ?? estimate;
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        // Counting failed: the estimate decides.
        void error;
      }
    }
    return tokens > limit ? contextWindowFailure(model, tokens, limit, 'counted before sending') : undefined;
  }

  /** Learns a model's limit from the server's own refusal, so the next prompts are checked before sending. */
  learn(failure: unknown, model: string): void {
    if (!isGeminiFailure(failure) || failure.kind !== 'contextWindowExceeded') return;
    const limit = failure.inputTokenLimit;
    if (limit !== undefined && limit > 0 && this.options.limits[model] === undefined) {
      this.known.set(model, { limit, until: Number.POSITIVE_INFINITY });
    }
  }

  private async limitOf(
    model: string,
    models: ClientModels,
    signal: AbortSignal,
  ): Promise<number | undefined> {
    const given = this.options.limits[model];
    if (given !== undefined) return given;
    const known = this.known.get(model);
    if (known !== undefined && known.until > this.clock.now()) return known.limit;
    if (!this.options.lookup || models.get === undefined) return undefined;
    let lookup = this.lookups.get(model);
    if (lookup === undefined) {
      lookup = this.lookUp(model, models.get);
      this.lookups.set(model, lookup);
    }
    return raceSignal(lookup, signal);
  }

  /** One `models.get` per model at a time, shared by the calls that need it; never rejects. */
  private async lookUp(model: string, get: NonNullable<ClientModels['get']>): Promise<number | undefined> {
    let limit: number | undefined;
    try {
      const info = await this.bounded.execute((ctx) =>
        get({ model, config: { abortSignal: ctx.signal, httpOptions: { retryOptions: { attempts: 1 } } } }),
      );
      const value = (info as { inputTokenLimit?: unknown } | null | undefined)?.inputTokenLimit;
      limit = typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
    } catch {
      limit = undefined;
    }
    const until = limit === undefined ? this.clock.now() + LOOKUP_RETRY : Number.POSITIVE_INFINITY;
    this.known.set(model, { limit, until });
    this.lookups.delete(model);
    return limit;
  }
}

/** The local refusal of a prompt too long for `model`, of the server's kind. */
export function contextWindowFailure(
  model: string,
  tokens: number,
  limit: number,
  how: string,
): GeminiFailure {
  return new GeminiFailure({
    kind: 'contextWindowExceeded',
    serverMessage: `The input token count (${tokens}, ${how}) exceeds the input token limit of ${model} (${limit}).`,
    inputTokens: tokens,
    inputTokenLimit: limit,
    model,
  });
}

/** `promise`, or the signal's reason as soon as it aborts; the listener is removed either way. */
function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
