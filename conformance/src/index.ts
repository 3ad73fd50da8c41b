/** The conformance suite: one registry of runtime-neutral tests, run by each runtime's entry point. */
import type { SuiteEnv } from './env.js';
import { Suite } from './runner.js';
import { registerBreaker } from './suite/breaker.js';
import { registerBulkhead } from './suite/bulkhead.js';
import { registerFallback } from './suite/fallback.js';
import { registerFetch } from './suite/fetch.js';
import { registerHedge } from './suite/hedge.js';
import { registerHttpStatus } from './suite/http-status.js';
import { registerNetworkErrors } from './suite/network-errors.js';
import { registerPipeline } from './suite/pipeline.js';
import { registerRateLimit } from './suite/rate-limit.js';
import { registerRetry } from './suite/retry.js';
import { registerTimeout } from './suite/timeout.js';
import { registerVirtualClock } from './suite/virtual-clock.js';

export type { SuiteEnv } from './env.js';
export {
  formatReport,
  formatResult,
  type Report,
  type RunOptions,
  type TestResult,
  withUnhandled,
} from './runner.js';

export function conformanceSuite(env: SuiteEnv): Suite {
  const suite = new Suite();
  registerVirtualClock(suite);
  registerRetry(suite);
  registerTimeout(suite);
  registerBreaker(suite);
  registerBulkhead(suite);
  registerRateLimit(suite);
  registerFallback(suite);
  registerHedge(suite);
  registerPipeline(suite);
  registerHttpStatus(suite);
  if (env.baseUrl !== undefined) registerFetch(suite, env.baseUrl);
  if (env.refusedUrl !== undefined) registerNetworkErrors(suite, env.refusedUrl);
  return suite;
}
