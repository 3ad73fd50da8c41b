import { bulwarkInteractive, bulwarkPipeline } from './bulwark.js';
import { cockatielRetryBreaker } from './cockatiel.js';
import { naiveRetries } from './naive.js';
import { noRetries } from './none.js';
import { sdkRetries } from './sdk.js';
import type { Strategy } from './types.js';

export type { ClientEnv, StormClient, Strategy } from './types.js';

/** Every client strategy of the storm, in report order. */
export const strategies: readonly Strategy[] = [
  noRetries,
  naiveRetries,
  sdkRetries,
  cockatielRetryBreaker,
  bulwarkPipeline,
  bulwarkInteractive,
];
