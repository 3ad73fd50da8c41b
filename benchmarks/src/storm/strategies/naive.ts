import { setTimeout as delay } from 'node:timers/promises';
import { type ClientEnv, generate, geminiClient, type Strategy } from './types.js';

const ATTEMPTS = 4;
const DELAY_MS = 1_000;

/** The retry loop people write by hand: fixed attempts, fixed delay, no jitter, every error retried. */
export const naiveRetries: Strategy = {
  id: 'naive',
  label: 'Naive retries',
  description: `${ATTEMPTS} attempts, fixed ${DELAY_MS / 1000} s between them, no jitter, every error retried.`,
  create(env: ClientEnv) {
    const ai = geminiClient(env);
    const wait = DELAY_MS * env.scale;
    return {
      async call(signal) {
        for (let attempt = 1; ; attempt++) {
          try {
            return await generate(ai, env, signal);
          } catch (error) {
            if (signal.aborted || attempt >= ATTEMPTS) throw error;
            await delay(wait, undefined, { signal });
          }
        }
      },
    };
  },
};
