/**
 * Model-based test: random command sequences run against the breaker and against a deliberately naive
 * reference model (plain arrays, recomputed from scratch), on a virtual clock. After every command both must agree
 * on what each caller got and on every state change.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linear } from '../../src/backoff/index.js';
import {
  type BreakerSnapshot,
  type BreakerStrategy,
  type CircuitBreakerOptions,
  type CircuitBreakerPolicy,
  circuitBreaker,
  consecutive,
  countWindow,
  type IsolationHandle,
  timeWindow,
} from '../../src/breaker/index.js';
import { BrokenCircuitError, IsolatedCircuitError } from '../../src/errors.js';
import type { CircuitState } from '../../src/events.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';
import { deferred } from '../support/helpers.js';

type StrategyConfig =
  | { kind: 'consecutive'; n: number }
  | { kind: 'count'; size: number; min: number; ratio: number }
  | { kind: 'time'; duration: number; buckets: number; min: number; ratio: number };

interface Config {
  strategy: StrategyConfig;
  breakBase: number;
  /** 0 means a constant number; otherwise a linear Backoff. */
  breakStep: number;
  breakMax: number;
  probes: number;
  slow: { duration: number; ratio: number | undefined } | undefined;
  /** Listen to stateChange (and compare every transition), which also puts the breaker on its timed path. */
  observe: boolean;
  /** Give calls an AbortSignal; without one a call cannot be aborted (and takes the cheapest path). */
  signals: boolean;
}

type Outcome = 'ok' | 'okBad' | 'fail' | 'ignored';

class Ignored extends Error {}

// ---------------------------------------------------------------------------------------------------------------
// The reference model.

interface ModelCall {
  epoch: number;
  probe: boolean;
  startedAt: number;
  aborted: boolean;
}

type Admission = { run: ModelCall } | { error: 'broken' | 'isolated'; retryAfterMs: number | undefined };

class Model {
  now = 0;
  mode: CircuitState = 'closed';
  epoch = 0;
  outcomes: { at: number; failed: boolean; slow: boolean }[] = [];
  openUntil = 0;
  breaks = 0;
  /** Probes whose function has not settled yet, whatever the state now: each holds a slot until then. */
  probesRunning = 0;
  probeSuccesses = 0;
  isolations = new Set<number>();
  transitions: string[] = [];

  constructor(readonly config: Config) {}

  breakFor(k: number): number {
    const { breakBase, breakStep, breakMax } = this.config;
    return breakStep === 0 ? breakBase : Math.min(breakBase + breakStep * k, breakMax);
  }

  enter(mode: CircuitState): void {
    if (mode !== this.mode) this.transitions.push(`${this.mode}->${mode}`);
    this.mode = mode;
    this.epoch++;
    this.outcomes = [];
    this.probeSuccesses = 0;
  }

  readState(): CircuitState {
    if (this.mode === 'open' && this.now >= this.openUntil) this.enter('halfOpen');
    return this.mode;
  }

  open(): void {
    this.openUntil = this.now + this.breakFor(this.breaks);
    this.breaks++;
    this.enter('open');
  }

  close(): void {
    this.breaks = 0;
    this.enter('closed');
  }

  admit(): Admission {
    if (this.mode === 'closed') return { run: this.call(false) };
    if (this.mode === 'isolated') return { error: 'isolated', retryAfterMs: undefined };
    if (this.mode === 'open') {
      if (this.now < this.openUntil) return { error: 'broken', retryAfterMs: this.openUntil - this.now };
      this.enter('halfOpen');
    }
    if (this.probesRunning + this.probeSuccesses >= this.config.probes) {
      return { error: 'broken', retryAfterMs: undefined };
    }
    this.probesRunning++;
    return { run: this.call(true) };
  }

  private call(probe: boolean): ModelCall {
    return { epoch: this.epoch, probe, startedAt: this.now, aborted: false };
  }

  /** The call's function settled. `failed` undefined: no verdict (ignored error, error after a caller abort). */
  finish(call: ModelCall, failed: boolean | undefined): void {
    if (call.probe) this.probesRunning--;
    if (call.epoch !== this.epoch) return;
    const slow = this.config.slow !== undefined && this.now - call.startedAt >= this.config.slow.duration;
    if (!call.probe) {
      if (failed === undefined) return;
      this.outcomes.push({ at: this.now, failed, slow });
      if (this.trips()) this.open();
      return;
    }
    if (failed === undefined) return;
    if (failed || slow) this.open();
    else if (++this.probeSuccesses >= this.config.probes) this.close();
  }

  private trips(): boolean {
    const s = this.config.strategy;
    if (s.kind === 'consecutive') {
      let run = 0;
      for (
        let i = this.outcomes.length - 1;
        i >= 0 && (this.outcomes[i]!.failed || this.outcomes[i]!.slow);
        i--
      )
        run++;
      return run >= s.n;
    }
    let window = this.outcomes;
    if (s.kind === 'count') window = window.slice(-s.size);
    else {
      const width = s.duration / s.buckets;
      const current = Math.floor(this.now / width);
      window = window.filter((o) => Math.floor(o.at / width) > current - s.buckets);
    }
    const calls = window.length;
    const failures = window.filter((o) => o.failed).length;
    const slow = window.filter((o) => o.slow).length;
    const slowRatio = this.config.slow?.ratio ?? (this.config.slow ? 1 : undefined);
    if (calls < s.min) return false;
    return (
      (failures > 0 && failures / calls >= s.ratio) ||
      (slowRatio !== undefined && slow > 0 && slow / calls >= slowRatio)
    );
  }

  /** What a new breaker restored from this one's snapshot starts as (no calls are in flight). */
  restart(): void {
    this.readState();
    this.isolations.clear();
    this.probeSuccesses = 0;
    if (this.mode === 'isolated') {
      this.mode = 'open';
      this.openUntil = this.now + this.breakFor(this.breaks);
      this.breaks++;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The system under test.

interface RealCall {
  readonly model: ModelCall;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly controller: AbortController;
  readonly abortReason: Error;
  settled: { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;
}

class Real {
  readonly clock = new VirtualClock(0);
  breaker: CircuitBreakerPolicy;
  pending: RealCall[] = [];
  handles: { id: number; handle: IsolationHandle }[] = [];
  nextHandle = 0;
  transitions: string[] = [];

  constructor(readonly config: Config) {
    this.breaker = this.build(undefined);
  }

  build(initialState: BreakerSnapshot | undefined): CircuitBreakerPolicy {
    const c = this.config;
    const options: CircuitBreakerOptions = {
      clock: this.clock,
      strategy: strategyOf(c.strategy),
      halfOpenAfter:
        c.breakStep === 0
          ? c.breakBase
          : linear({ initialDelay: c.breakBase, step: c.breakStep, maxDelay: c.breakMax }),
      halfOpenProbes: c.probes,
      handle: (error) => !(error instanceof Ignored),
      handleResult: (value) => value === 'bad',
      ...(c.slow ? { slowCallDuration: c.slow.duration } : {}),
      ...(c.slow?.ratio !== undefined ? { slowCallRatio: c.slow.ratio } : {}),
      ...(initialState ? { initialState } : {}),
    };
    const breaker = circuitBreaker(options);
    if (c.observe) breaker.on('stateChange', (e) => this.transitions.push(`${e.from}->${e.to}`));
    this.breaker = breaker;
    return breaker;
  }
}

function strategyOf(s: StrategyConfig): BreakerStrategy {
  if (s.kind === 'consecutive') return consecutive(s.n);
  if (s.kind === 'count') return countWindow({ size: s.size, minimumCalls: s.min, failureRatio: s.ratio });
  return timeWindow({ duration: s.duration, buckets: s.buckets, minimumCalls: s.min, failureRatio: s.ratio });
}

// ---------------------------------------------------------------------------------------------------------------
// Commands.

type Cmd = fc.AsyncCommand<Model, Real>;

class StartCall implements Cmd {
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const admission = model.admit();
    let invoked = 0;
    const { promise, resolve, reject } = deferred<unknown>();
    const controller = new AbortController();
    const modelCall = 'run' in admission ? admission.run : undefined;
    const call: RealCall = {
      model: modelCall!,
      resolve,
      reject,
      controller,
      abortReason: new Error('caller abort'),
      settled: undefined,
    };
    real.breaker
      .execute(
        () => {
          invoked++;
          return promise;
        },
        real.config.signals ? { signal: controller.signal } : {},
      )
      .then(
        (value) => (call.settled = { ok: true, value }),
        (error: unknown) => (call.settled = { ok: false, error }),
      );
    await flushMicrotasks();
    if ('run' in admission) {
      expect(invoked).toBe(1);
      expect(call.settled).toBeUndefined();
      real.pending.push(call);
      return;
    }
    expect(invoked).toBe(0);
    expect(call.settled?.ok).toBe(false);
    const error = (call.settled as { error: unknown }).error;
    if (admission.error === 'isolated') expect(error).toBeInstanceOf(IsolatedCircuitError);
    else {
      expect(error).toBeInstanceOf(BrokenCircuitError);
      expect((error as BrokenCircuitError).retryAfterMs).toBe(admission.retryAfterMs);
    }
  }
  toString = () => 'start';
}

class FinishCall implements Cmd {
  constructor(
    readonly index: number,
    readonly outcome: Outcome,
  ) {}
  check = (model: Model) => model !== undefined;
  async run(model: Model, real: Real): Promise<void> {
    if (real.pending.length === 0) return;
    const [call] = real.pending.splice(this.index % real.pending.length, 1);
    const m = call!.model;
    const error = this.outcome === 'fail' ? new Error('fail') : new Ignored('ignored');
    // A result counts even after the caller left (probe or not); an error after an abort never does.
    const failed =
      this.outcome === 'ok'
        ? false
        : this.outcome === 'okBad'
          ? true
          : this.outcome === 'fail' && !m.aborted
            ? true
            : undefined;
    model.finish(m, failed);
    if (this.outcome === 'ok' || this.outcome === 'okBad')
      call!.resolve(this.outcome === 'ok' ? 'ok' : 'bad');
    else call!.reject(error);
    await flushMicrotasks();
    const settled = call!.settled;
    // A caller abort rejects at once with its reason, whatever the function does later.
    if (m.aborted) expect(settled).toEqual({ ok: false, error: call!.abortReason });
    else if (this.outcome === 'ok') expect(settled).toEqual({ ok: true, value: 'ok' });
    else if (this.outcome === 'okBad') expect(settled).toEqual({ ok: true, value: 'bad' });
    else expect(settled).toEqual({ ok: false, error });
  }
  toString = () => `finish(${this.index}, ${this.outcome})`;
}

class AbortCall implements Cmd {
  constructor(readonly index: number) {}
  check = () => true;
  async run(_model: Model, real: Real): Promise<void> {
    if (!real.config.signals) return;
    const live = real.pending.filter((c) => !c.model.aborted);
    if (live.length === 0) return;
    const call = live[this.index % live.length]!;
    // Probe or not, the caller gets its answer at once; a probe keeps its slot until its function settles.
    call.model.aborted = true;
    call.controller.abort(call.abortReason);
    await flushMicrotasks();
    expect(call.settled).toEqual({ ok: false, error: call.abortReason });
  }
  toString = () => `abort(${this.index})`;
}

class Advance implements Cmd {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    model.now += this.ms;
    await real.clock.advance(this.ms);
    expect(real.clock.now()).toBe(model.now);
  }
  toString = () => `advance(${this.ms})`;
}

class ReadState implements Cmd {
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    expect(real.breaker.state).toBe(model.readState());
  }
  toString = () => 'state';
}

class Isolate implements Cmd {
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const id = real.nextHandle++;
    model.isolations.add(id);
    if (model.mode !== 'isolated') model.enter('isolated');
    real.handles.push({ id, handle: real.breaker.isolate() });
  }
  toString = () => 'isolate';
}

class Release implements Cmd {
  constructor(readonly index: number) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    if (real.handles.length === 0) return;
    const { id, handle } = real.handles[this.index % real.handles.length]!;
    if (model.isolations.delete(id) && model.isolations.size === 0 && model.mode === 'isolated')
      model.close();
    handle.dispose();
  }
  toString = () => `release(${this.index})`;
}

class Reset implements Cmd {
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    model.isolations.clear();
    model.close();
    real.breaker.reset();
  }
  toString = () => 'reset';
}

/** Saves the breaker through JSON and continues on a new one built from it (only when nothing is in flight). */
class Restart implements Cmd {
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    if (real.pending.length !== 0) return;
    model.restart();
    const snapshot = JSON.parse(JSON.stringify(real.breaker.snapshot())) as BreakerSnapshot;
    real.build(snapshot);
    real.handles = [];
  }
  toString = () => 'restart';
}

// ---------------------------------------------------------------------------------------------------------------

const ratioArb = fc.constantFrom(0.25, 0.5, 2 / 3, 0.75, 1);
const strategyArb: fc.Arbitrary<StrategyConfig> = fc.oneof(
  fc.record({ kind: fc.constant('consecutive' as const), n: fc.integer({ min: 1, max: 4 }) }),
  fc
    .record({ size: fc.integer({ min: 1, max: 6 }), min: fc.integer({ min: 1, max: 6 }), ratio: ratioArb })
    .map(({ size, min, ratio }) => ({ kind: 'count' as const, size, min: Math.min(min, size), ratio })),
  fc.record({
    kind: fc.constant('time' as const),
    duration: fc.integer({ min: 50, max: 1_000 }),
    buckets: fc.integer({ min: 1, max: 5 }),
    min: fc.integer({ min: 1, max: 4 }),
    ratio: ratioArb,
  }),
);
const configArb: fc.Arbitrary<Config> = fc
  .record({
    strategy: strategyArb,
    breakBase: fc.integer({ min: 0, max: 500 }),
    breakStep: fc.integer({ min: 0, max: 300 }),
    breakExtra: fc.integer({ min: 0, max: 1_000 }),
    probes: fc.integer({ min: 1, max: 3 }),
    slow: fc.option(
      fc.record({
        duration: fc.integer({ min: 1, max: 400 }),
        ratio: fc.option(fc.constantFrom(0.5, 1), { nil: undefined }),
      }),
      { nil: undefined, freq: 2 },
    ),
    observe: fc.boolean(),
    signals: fc.boolean(),
  })
  .map(({ breakExtra, slow, ...c }) => ({
    ...c,
    breakMax: c.breakBase + breakExtra,
    // consecutive(n) has no ratio: a slow call simply counts as a failure there.
    slow: slow && c.strategy.kind === 'consecutive' ? { duration: slow.duration, ratio: undefined } : slow,
  }));

/** After every command, both sides must have seen the same state changes. */
function checked(command: Cmd): Cmd {
  return {
    check: (m) => command.check(m),
    run: async (m, r) => {
      await command.run(m, r);
      if (r.config.observe) expect(r.transitions).toEqual(m.transitions);
    },
    toString: () => command.toString(),
  };
}

const commandArbs = [
  fc.constant(new StartCall()),
  fc.constant(new StartCall()),
  fc.constant(new StartCall()),
  fc
    .tuple(fc.nat(), fc.constantFrom<Outcome>('ok', 'okBad', 'fail', 'fail', 'ignored'))
    .map(([i, o]) => new FinishCall(i, o)),
  fc.tuple(fc.nat(), fc.constantFrom<Outcome>('ok', 'fail')).map(([i, o]) => new FinishCall(i, o)),
  fc.nat().map((i) => new AbortCall(i)),
  fc.integer({ min: 0, max: 600 }).map((ms) => new Advance(ms)),
  fc.integer({ min: 0, max: 600 }).map((ms) => new Advance(ms)),
  fc.constant(new ReadState()),
  fc.constant(new ReadState()),
  fc.constant(new Isolate()),
  fc.nat().map((i) => new Release(i)),
  fc.constant(new Reset()),
  fc.constant(new Restart()),
].map((arb) => arb.map(checked));

describe('circuit breaker vs reference model', () => {
  it('agrees on every admission, result, rejection and state change', async () => {
    await fc.assert(
      fc.asyncProperty(
        configArb,
        fc.commands(commandArbs, { maxCommands: 80, size: 'max' }),
        async (config, commands) => {
          const model = new Model(config);
          const real = new Real(config);
          await fc.asyncModelRun(() => ({ model, real }), commands);
          // Settle whatever is left so nothing dangles, then check the breaker never used a timer.
          for (const call of real.pending) call.resolve('ok');
          await flushMicrotasks();
          expect(real.clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });
});
