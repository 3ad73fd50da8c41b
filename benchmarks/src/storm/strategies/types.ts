import { GoogleGenAI } from '@google/genai';

/** What a strategy needs to build one client instance. */
export interface ClientEnv {
  /** The storm service's origin, for `httpOptions.baseUrl`. */
  readonly baseUrl: string;
  /** Real ms per scenario ms: every library default duration is multiplied by it (rates divided by it). */
  readonly scale: number;
  readonly model: string;
  /** Seeded random source in [0, 1) for this instance's jitter. */
  readonly random: () => number;
}

/** One client instance (one process of the calling service): its own SDK client and its own policies. */
export interface StormClient {
  /**
   * Sends one logical request and settles when it succeeded or was given up. `signal` aborts at the caller's
   * deadline (real time); `deadline` is the same instant in epoch ms, for libraries that plan with it.
   */
  call(signal: AbortSignal, deadline: number): Promise<unknown>;
}

/** A way of calling the overloaded service. */
export interface Strategy {
  readonly id: string;
  readonly label: string;
  /** One line: the configuration, in scenario time. */
  readonly description: string;
  create(env: ClientEnv): StormClient;
}

/** The real SDK, pointed at the storm service; `retryOptions` only where a strategy asks for it. */
export function geminiClient(env: ClientEnv, httpOptions: Record<string, unknown> = {}): GoogleGenAI {
  return new GoogleGenAI({ apiKey: 'storm-key', httpOptions: { baseUrl: env.baseUrl, ...httpOptions } });
}

/** The one request every strategy sends. */
export function generate(ai: GoogleGenAI, env: ClientEnv, signal: AbortSignal | undefined): Promise<unknown> {
  return ai.models.generateContent({ model: env.model, contents: 'ping', config: { abortSignal: signal } });
}
