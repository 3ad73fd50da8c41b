import { type ClientEnv, generate, geminiClient, type Strategy } from './types.js';

/** The SDK as shipped: no retries. Amplification is 1 by construction; every 503 reaches the caller. */
export const noRetries: Strategy = {
  id: 'none',
  label: 'No retries',
  description: 'SDK defaults (retries off).',
  create(env: ClientEnv) {
    const ai = geminiClient(env);
    return { call: (signal) => generate(ai, env, signal) };
  },
};
