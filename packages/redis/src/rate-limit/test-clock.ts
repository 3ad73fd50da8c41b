import type { RedisScript } from '../script.js';
import type { LimitKind } from './lua/layout.js';
import { scriptsByShape } from './lua/scripts.js';
import type { RedisRateLimitStoreOptions } from './options.js';
import { RedisRateLimitStore } from './redis-rate-limit-store.js';

const ARGUMENT_CLOCK_SCRIPTS = /* @__PURE__ */ scriptsByShape('argument');

/**
 * For tests only, and not exported by the package: the same store running a script that decides at the time it
 * is given (`clock()`, sent as the last ARGV) instead of the server's TIME, so a test can compare it with the in-memory
 * store at the times of a virtual clock. Apart from that one line, the script is the production one.
 */
export class ArgumentClockStore extends RedisRateLimitStore {
  constructor(
    options: RedisRateLimitStoreOptions,
    private readonly clock: () => number,
  ) {
    super(options);
  }

  protected override script(shape: readonly LimitKind[]): RedisScript {
    return ARGUMENT_CLOCK_SCRIPTS(shape);
  }

  protected override time(): string {
    return String(this.clock());
  }
}
