import { type ClientEnv, generate, geminiClient, type Strategy } from './types.js';

/** The SDK's own defaults once retries are switched on (@google/genai 3.1.0). */
const ATTEMPTS = 5;
const INITIAL_DELAY_S = 1;
const MAX_DELAY_S = 60;

/**
 * `httpOptions.retryOptions` with the SDK's defaults: 5 attempts, 1 s doubling with jitter, 60 s cap, on
 * 408/429/5xx. It ignores RetryInfo. Delays are scaled like every other strategy's.
 */
export const sdkRetries: Strategy = {
  id: 'sdk',
  label: 'Gemini SDK retryOptions',
  description: `@google/genai retryOptions defaults: ${ATTEMPTS} attempts, ${INITIAL_DELAY_S} s x2 with jitter, ${MAX_DELAY_S} s cap.`,
  create(env: ClientEnv) {
    const ai = geminiClient(env, {
      retryOptions: {
        attempts: ATTEMPTS,
        initialDelay: INITIAL_DELAY_S * env.scale,
        maxDelay: MAX_DELAY_S * env.scale,
      },
    });
    return { call: (signal) => generate(ai, env, signal) };
  },
};
