/**
 * The edges of a breaker's `sync` link: what it tells the sync of a break that ends before it starts, and how it
 * takes the fleet's break count (whole breaks, at most what a snapshot holds). On a virtual clock.
 */
import { describe, expect, it } from 'vitest';
import {
  breakerControl,
  type CircuitSync,
  circuitBreaker,
  type SharedCircuit,
} from '../../src/breaker/index.js';
import { VirtualClock } from '../../src/testing.js';

/** A sync that only records what it is told and keeps the link it is given. */
function recordingSync() {
  const told: string[] = [];
  let link: SharedCircuit | undefined;
  const sync: CircuitSync = {
    attach: (circuit) => {
      link = circuit;
    },
    opened: (durationMs, breaks) => told.push(`opened ${durationMs} ${breaks}`),
    closed: (cause) => told.push(`closed ${cause}`),
    acquireProbe: async () => ({ release: () => {} }),
  };
  return { sync, told, link: () => link! };
}

describe('a shared circuit at its edges', () => {
  it('a control break until an instant already past is told to the sync as 0 ms, never a negative duration', () => {
    const clock = new VirtualClock(5_000);
    const control = breakerControl();
    const { sync, told } = recordingSync();
    circuitBreaker({ clock, control, sync });
    control.openUntil(4_000);
    control.openUntil(5_600);
    expect(told).toEqual(['opened 0 0', 'opened 600 0']);
  });

  it("the fleet's break count is taken in whole breaks, at most 10000", () => {
    const clock = new VirtualClock();
    const { sync, link } = recordingSync();
    const breaker = circuitBreaker({ clock, sync, halfOpenAfter: 1_000 });
    link().open(500, 2.7);
    expect(breaker.snapshot()).toMatchObject({ state: 'open', openUntil: 500, breaks: 2 });
    link().open(500, 1e9);
    expect(breaker.snapshot()).toMatchObject({ state: 'open', breaks: 10_000 });
    link().open(500, 0.5);
    expect(breaker.snapshot()).toMatchObject({ state: 'open', breaks: 0 });
  });

  it('the fleet leaves an isolated circuit isolated, opening or closing', () => {
    const { sync, told, link } = recordingSync();
    const breaker = circuitBreaker({ clock: new VirtualClock(), sync });
    const handle = breaker.isolate();
    link().open(500, 1);
    expect(breaker.state).toBe('isolated');
    link().close();
    expect(breaker.state).toBe('isolated');
    handle.dispose();
    expect(breaker.state).toBe('closed');
    expect(told).toEqual(['closed released']);
  });
});
