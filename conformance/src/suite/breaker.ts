import {
  type CircuitState,
  circuitBreaker,
  consecutive,
  countWindow,
  isBrokenCircuitError,
  isIsolatedCircuitError,
} from '@bulwark/core';
import { VirtualClock } from '@bulwark/core/testing';
import { deepEqual, equal, rejectsWith, rejectsWithValue } from '../assert.js';
import type { Suite } from '../runner.js';

const fail = () => Promise.reject(new Error('503'));

export function registerBreaker(suite: Suite): void {
  const t = suite.group('circuitBreaker');

  t('goes closed -> open -> halfOpen -> open -> halfOpen -> closed', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ strategy: consecutive(2), halfOpenAfter: 1_000, clock });
    const transitions: string[] = [];
    breaker.on('stateChange', ({ from, to }) => transitions.push(`${from}->${to}`));
    equal<CircuitState>(breaker.state, 'closed');

    await breaker.execute(fail).catch(() => {});
    equal<CircuitState>(breaker.state, 'closed', 'one failure is not enough');
    await breaker.execute(fail).catch(() => {});
    equal<CircuitState>(breaker.state, 'open');

    let calls = 0;
    const refused = await rejectsWith(
      breaker.execute(() => calls++),
      isBrokenCircuitError,
      'BrokenCircuitError',
    );
    equal(calls, 0, 'an open circuit does not call the function');
    equal(refused.retryAfterMs, 1_000);

    await clock.advance(1_000);
    equal<CircuitState>(breaker.state, 'halfOpen');
    await breaker.execute(fail).catch(() => {});
    equal<CircuitState>(breaker.state, 'open', 'a failed probe reopens');

    await clock.advance(1_000);
    equal(await breaker.execute(() => 'healthy'), 'healthy');
    equal<CircuitState>(breaker.state, 'closed');
    deepEqual(transitions, [
      'closed->open',
      'open->halfOpen',
      'halfOpen->open',
      'open->halfOpen',
      'halfOpen->closed',
    ]);
  });

  t('half-open lets one probe through and refuses the others at once', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ strategy: consecutive(1), halfOpenAfter: 100, clock });
    await breaker.execute(fail).catch(() => {});
    await clock.advance(100);
    let release: (value: string) => void = () => {};
    const probe = breaker.execute(() => new Promise<string>((resolve) => (release = resolve)));
    const busy = await rejectsWith(
      breaker.execute(() => 'second'),
      isBrokenCircuitError,
      'BrokenCircuitError',
    );
    equal(busy.retryAfterMs, undefined);
    release('probe ok');
    equal(await probe, 'probe ok');
    equal<CircuitState>(breaker.state, 'closed');
  });

  t('a count window opens on the failure ratio', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({
      strategy: countWindow({ size: 4, failureRatio: 0.5, minimumCalls: 4 }),
      clock,
    });
    await breaker.execute(() => 'ok');
    await breaker.execute(() => 'ok');
    await breaker.execute(fail).catch(() => {});
    equal<CircuitState>(breaker.state, 'closed', 'three calls are below minimumCalls');
    await breaker.execute(fail).catch(() => {});
    equal<CircuitState>(breaker.state, 'open');
  });

  t('isolate() holds it open until released; snapshot() round-trips through JSON', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ strategy: consecutive(3), clock });
    const handle = breaker.isolate();
    equal<CircuitState>(breaker.state, 'isolated');
    await rejectsWith(
      breaker.execute(() => 'x'),
      isIsolatedCircuitError,
      'IsolatedCircuitError',
    );
    handle.dispose();
    equal<CircuitState>(breaker.state, 'closed');

    await breaker.execute(fail).catch(() => {});
    const saved = JSON.parse(JSON.stringify(breaker.snapshot()));
    const restored = circuitBreaker({ strategy: consecutive(3), clock, initialState: saved });
    await restored.execute(fail).catch(() => {});
    await restored.execute(fail).catch(() => {});
    equal<CircuitState>(restored.state, 'open', 'the saved failure still counts');
  });

  t('a caller abort is not a failure of the dependency', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ strategy: consecutive(1), clock });
    const controller = new AbortController();
    const result = breaker.execute(
      ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
      { signal: controller.signal },
    );
    const reason = new Error('caller left');
    controller.abort(reason);
    await rejectsWithValue(result, reason);
    equal<CircuitState>(breaker.state, 'closed');
  });
}
