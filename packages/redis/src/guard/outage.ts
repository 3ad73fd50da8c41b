import type { BackoffSequence, TimerHandle } from '@bulwark/core';
import type { RateLimitScope, RateLimitStore } from '@bulwark/core/store';
import type { GuardedStoreEmitter, StoreOperation } from './events.js';
import { type GuardSettings, MAX_PROBE_DELAY, MIN_PROBE_DELAY } from './options.js';
import { answerWithin, isThenable } from '../timed-call.js';

/** Probes are background work: their timers never hold a process that has nothing else to do. */
const BACKGROUND = /* @__PURE__ */ Object.freeze({ unref: true });

/**
 * Whether the store is up, and the way back when it is not. The first failure of an outage marks the store down
 * and emits `unavailable`; from then on a probe (one `read` of the key that failed, bounded by the call timeout)
 * runs after each delay of the probe backoff, one at a time, until one gets an answer: the store is up again and
 * `recovered` is emitted. Each recovery starts a new epoch, so a call sent before it that fails afterwards (a late
 * timeout of the stall that just ended) does not begin a second outage.
 */
export class Outage {
  down = false;
  /** Counts recoveries; a failure counts only against the epoch its call started in. */
  epoch = 0;
  /** The failure that began the current outage. */
  cause: unknown = undefined;
  /** When the next probe is due (guard's clock); NaN while none is scheduled. */
  nextProbeAt = Number.NaN;
  private since = 0;
  private probes = 0;
  private sequence: BackoffSequence | undefined = undefined;
  private timer: TimerHandle | undefined = undefined;
  private scope: RateLimitScope | undefined = undefined;
  private key = '';
  private closed = false;

  constructor(
    private readonly settings: GuardSettings,
    private readonly primary: RateLimitStore,
    private readonly events: GuardedStoreEmitter,
  ) {}

  /** Records a failure of a call started in `epoch`; the first one of an outage marks the store down. */
  failed(epoch: number, operation: StoreOperation, error: unknown, scope: RateLimitScope, key: string): void {
    if (this.down || epoch !== this.epoch) return;
    this.down = true;
    this.cause = error;
    this.since = this.settings.clock.now();
    this.probes = 0;
    this.scope = scope;
    this.key = key;
    this.sequence = this.settings.probeBackoff.start();
    this.schedule();
    this.events.emit('unavailable', {
      store: this.settings.name,
      operation,
      error,
      mode: this.settings.mode,
    });
  }

  /** Time until the next probe (ms), when one is scheduled. */
  retryAfter(): number | undefined {
    const wait = this.nextProbeAt - this.settings.clock.now();
    return wait >= 0 ? Math.ceil(wait) : undefined;
  }

  /** Stops probing (the store stays in its current state). */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.settings.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.nextProbeAt = Number.NaN;
  }

  private schedule(): void {
    if (this.closed) return;
    const { clock } = this.settings;
    const delay = probeDelay(this.sequence!.next());
    this.nextProbeAt = clock.now() + delay;
    this.timer = clock.setTimer(() => this.probe(), delay, BACKGROUND);
  }

  private probe(): void {
    this.timer = undefined;
    this.nextProbeAt = Number.NaN;
    this.probes++;
    const { clock, callTimeoutMs } = this.settings;
    let answer: unknown;
    try {
      answer = this.primary.read({ scope: this.scope!, key: this.key, now: clock.now() });
    } catch {
      this.schedule();
      return;
    }
    if (!isThenable(answer)) {
      this.recover();
      return;
    }
    void answerWithin(
      answer,
      callTimeoutMs,
      clock,
      BACKGROUND,
      () => this.recover(),
      () => this.schedule(),
    );
  }

  private recover(): void {
    if (!this.down) return;
    this.down = false;
    this.epoch++;
    this.cause = undefined;
    this.sequence = undefined;
    const downtime = this.settings.clock.now() - this.since;
    this.events.emit('recovered', { store: this.settings.name, downtime, probes: this.probes });
  }
}

/**
 * A probe backoff's delay, made safe to wait on: anything but a finite number >= 0 counts as the longest delay, and
 * none is shorter than MIN_PROBE_DELAY (a store that fails at once must not be probed in a tight loop).
 */
function probeDelay(delay: unknown): number {
  if (typeof delay !== 'number' || !(delay >= 0) || delay === Number.POSITIVE_INFINITY)
    return MAX_PROBE_DELAY;
  return delay < MIN_PROBE_DELAY ? MIN_PROBE_DELAY : delay;
}
