import { ConsecutiveBreaker, circuitBreaker, ExponentialBackoff, handleAll, retry, wrap } from 'cockatiel';
import { type ClientEnv, generate, geminiClient, type Strategy } from './types.js';

/**
 * cockatiel's README composition: retry (3 retries, its default exponential backoff) around a consecutive
 * breaker (5 failures, 10 s half-open delay), both on handleAll.
 */
export const cockatielRetryBreaker: Strategy = {
  id: 'cockatiel',
  label: 'cockatiel retry + breaker',
  description:
    'wrap(retry(handleAll, 3 retries, ExponentialBackoff defaults), circuitBreaker(ConsecutiveBreaker(5), halfOpenAfter 10 s)).',
  create(env: ClientEnv) {
    const ai = geminiClient(env);
    const policy = wrap(
      retry(handleAll, {
        maxAttempts: 3,
        backoff: new ExponentialBackoff({ initialDelay: 128 * env.scale, maxDelay: 30_000 * env.scale }),
      }),
      circuitBreaker(handleAll, { halfOpenAfter: 10_000 * env.scale, breaker: new ConsecutiveBreaker(5) }),
    );
    return {
      call: (signal) =>
        policy.execute(({ signal: attemptSignal }) => generate(ai, env, attemptSignal), signal),
    };
  },
};
