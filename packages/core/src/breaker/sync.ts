/**
 * Shared circuit state: the seam through which breakers of several processes that protect the same dependency
 * share their open / half-open state (`@bulwark/redis`'s `redisCircuitSync` is one implementation). Core knows
 * nothing of the store: it tells the sync of its own transitions, lets the sync impose the fleet's state, and asks
 * it for a fleet-wide permit before a half-open probe. The closed path never calls it.
 */

/**
 * Why a circuit closed: its probes succeeded (`'probes'`), `reset()` was called (`'reset'`), or its last isolation
 * handle was released (`'released'`; isolation is a local, per-process matter).
 */
export type CircuitCloseCause = 'probes' | 'reset' | 'released';

/** A fleet-wide permit to run one half-open probe. */
export interface ProbePermit {
  /**
   * The probe's function settled without a success to count (it failed, its error was not handled, its verdict is
   * deferred, or its half-open state was over), or will never run: give the permit back. Called at most once, and
   * never after `succeeded`.
   */
  release(): void;
  /**
   * Optional: the probe succeeded, in the half-open state that admitted it, without closing the local circuit (this
   * process has not seen `halfOpenProbes` successes alone). Called instead of `release`, so the sync can turn the
   * permit into a fleet-wide success in one step: once `halfOpenProbes` probes succeeded fleet-wide, the sync closes
   * the fleet's circuit and imposes `close()` on every process. Must not block or throw. Without it, each process
   * counts only its own probes' successes.
   */
  succeeded?(): void;
}

/**
 * The local breaker as a CircuitSync sees it: what it may impose on it. Given once to `CircuitSync.attach`.
 * Impositions are not echoed back to the sync as transitions.
 */
export interface SharedCircuit {
  /** The breaker's `name`. */
  readonly name: string;
  /** The breaker's `halfOpenProbes`: how many probes may run at once, fleet-wide with a sync. */
  readonly halfOpenProbes: number;
  /**
   * The fleet's circuit is open for `remainingMs` more (0: its break is over, the fleet is half-open), after
   * `breaks` breaks in a row. A closed or half-open local circuit opens (a `stateChange` is emitted), an open one
   * takes this break instead of its own; an isolated one is left as it is. `remainingMs` is capped at the
   * breaker's longest break (a wrong sync cannot keep it open for longer) and a NaN counts as 0.
   */
  open(remainingMs: number, breaks: number): void;
  /** The fleet's circuit closed: an open or half-open local circuit closes; a closed or isolated one is left as it is. */
  close(): void;
}

/**
 * What a breaker's `sync` option takes. Every method but `acquireProbe` is called synchronously from inside a
 * transition and must not block or throw (the sync reports its own failures; a throw is rethrown detached, as a
 * throwing listener's is).
 */
export interface CircuitSync {
  /** Called once, by the breaker's constructor: a sync serves one breaker (calling it twice should throw). */
  attach(circuit: SharedCircuit): void;
  /**
   * The local circuit opened for `durationMs` (its strategy tripped, or a probe failed), its `breaks`-th break in a
   * row. Durations, not times: each process and the store keep their own clocks.
   */
  opened(durationMs: number, breaks: number): void;
  /** The local circuit closed, for `cause`. */
  closed(cause: CircuitCloseCause): void;
  /**
   * Asked before every half-open probe, once its local probe slot is taken: a permit lets the probe run, undefined
   * refuses it (the fleet's probes are taken: the caller gets `BrokenCircuitError` for `'halfOpenBusy'`). The
   * sync may impose the fleet's state (`open`/`close`) before it answers: the caller then runs in that state.
   *
   * The breaker waits at most `acquireTimeoutMs`. If the answer does not come by then, or is a rejection, the
   * probe runs on its local slot alone, as it would without a sync (each process keeps protecting itself when the
   * store cannot answer); a permit granted after that is released at once. A caller that aborts meanwhile leaves
   * at once with its reason.
   */
  acquireProbe(): Promise<ProbePermit | undefined>;
  /** The longest wait for `acquireProbe` (ms, > 0). Default 1 000. */
  readonly acquireTimeoutMs?: number;
}
