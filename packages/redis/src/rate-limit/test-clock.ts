import type { RateLimitScope } from '@bulwark/core/store';
import { type ScopeScript, scriptsFor } from './lua/scripts.js';
import type { RedisRateLimitStoreOptions } from './options.js';
import { RedisRateLimitStore } from './redis-rate-limit-store.js';

const ARGUMENT_CLOCK_SCRIPTS = /* @__PURE__ */ scriptsFor('argument');
/** Every configuration on its shape's script, its numbers in ARGV (what configurations beyond the bound run). */
const SHARED_ARGUMENT_CLOCK_SCRIPTS = /* @__PURE__ */ scriptsFor('argument', 0);

/**
 * For tests only, and not exported by the package: the same store running a script that decides at the time it
 * is given (`clock()`, sent as the last ARGV) instead of the server's TIME, so a test can compare it with the in-memory
 * store at the times of a virtual clock. Apart from that one line, the script is the production one.
 */
export class ArgumentClockStore extends RedisRateLimitStore {
  constructor(
    options: RedisRateLimitStoreOptions,
    private readonly clock: () => number,
    /** Run every configuration on its shape's script (numbers in ARGV) rather than its own. */
    private readonly shared = false,
  ) {
    super(options);
  }

  protected override script(limits: RateLimitScope['limits']): ScopeScript {
    return (this.shared ? SHARED_ARGUMENT_CLOCK_SCRIPTS : ARGUMENT_CLOCK_SCRIPTS)(limits);
  }

  protected override time(): string {
    return String(this.clock());
  }
}
