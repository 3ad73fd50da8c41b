import { InvalidOptionError } from '@bulwark/core';
import { describe } from '@bulwark/core/validate';

/**
 * What this package reads of `@bulwark/gemini-adapter`'s engine (`resilienceOf(ai)`), described by its shape so
 * that the adapter stays an optional companion, never a dependency: its events, its clock, each model's state.
 */
export interface GeminiEngine {
  readonly events: EngineEmitter;
  readonly clock: { now(): number };
  model(name: string): ModelState;
}

export interface EngineEmitter {
  on(event: string, listener: (payload: never) => void): unknown;
  off(event: string, listener: (payload: never) => void): unknown;
}

/** A model's shared state (the adapter's `ModelGuard`). */
export interface ModelState {
  readonly breaker?: { readonly state: string } | undefined;
  readonly concurrency?: { stats(): { limit: number; inFlight: number; queued: number } } | undefined;
  exhaustedUntil(): number | undefined;
}

/** The adapter's event payloads, the fields read here (docs/gemini.md, "Events and stats"). */
export interface EnginePayloads {
  request: { model: string; attempt: number; stream: boolean };
  retry: { model: string; attempt: number; delay: number; delaySource: string; kind: string };
  wait: { model: string; delay: number | undefined; reason: string };
  paused: { model: string; duration: number };
  failover: { model: string; from: string; to: string; reason: string; error: unknown };
  breakerState: { model: string; from: string; to: string };
  quotaExhausted: { model: string; until: number; quotaId: string | undefined };
  success: { model: string; requested: string; attempts: number; failovers: number };
  failure: { model: string; requested: string; attempts: number; failovers: number };
}

/** The key under which `withResilience` keeps a client's engine (a registered symbol: one for every copy). */
const RESILIENCE = /* @__PURE__ */ Symbol.for('bulwark.gemini.resilience');

/** The engine of a client made resilient with `withResilience`, or InvalidOptionError naming `ai`. */
export function engineOf(ai: unknown): GeminiEngine {
  const engine =
    typeof ai === 'object' && ai !== null ? (ai as { [RESILIENCE]?: GeminiEngine })[RESILIENCE] : undefined;
  if (engine === undefined) {
    throw new InvalidOptionError(
      'ai',
      `instrumentGemini(ai): expected a client made resilient with withResilience(), got ${describe(ai)}`,
    );
  }
  return engine;
}
