/**
 * The storm's fleet variant in smoke mode (3 real child processes, a real redis-server, runs of under a second):
 * proves that the section still runs and that its figures add up. No timing is asserted.
 */
import { InvalidOptionError } from '@bulwark/core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../src/report.js';
import { renderReport } from '../src/report.js';
import {
  callsOf,
  fleetStrategies,
  fullFleetScenario,
  smokeFleetScenario,
  validateFleetScenario,
} from '../src/storm/fleet/scenario.js';
import { runSuite } from '../src/suite.js';

let report: Report;

beforeAll(async () => {
  report = await runSuite({ mode: 'smoke', sections: ['storm-fleet'] });
}, 60_000);

describe('storm fleet (smoke)', () => {
  const scenario = smokeFleetScenario;

  it('plays every workload with every strategy, from every process', () => {
    const fleet = report.stormFleet!;
    expect(fleet.runs.map((r) => `${r.workload}/${r.strategy}`)).toEqual(
      scenario.workloads.flatMap((w) => fleetStrategies.map((s) => `${w.id}/${s.id}`)),
    );
    for (const run of fleet.runs) {
      const id = `${run.workload}/${run.strategy}`;
      const workload = scenario.workloads.find((w) => w.id === run.workload)!;
      expect(run.perProcess, id).toHaveLength(scenario.processes);
      expect(
        run.perProcess.map((p) => p.calls),
        id,
      ).toEqual(run.perProcess.map((_, i) => callsOf(scenario, workload, i)));
      expect(run.completed + run.failed, id).toBe(run.calls);
      expect(
        Object.values(run.failures).reduce((a, b) => a + b, 0),
        id,
      ).toBe(run.failed);
      expect(run.completed, id).toBeGreaterThan(0);
      // The server answers every request it receives: served, or refused by the quota.
      expect(run.served + run.refused, id).toBe(run.received);
      expect(run.served, id).toBeGreaterThanOrEqual(run.completed);
      expect(run.served, id).toBeLessThanOrEqual(scenario.quotaPerMinute);
      expect(
        run.perProcess.reduce((n, p) => n + p.sent, 0),
        id,
      ).toBe(run.received);
      expect(
        run.perProcess.reduce((n, p) => n + p.refused, 0),
        id,
      ).toBe(run.refused);
      expect(run.amplification, id).toBeCloseTo(run.received / run.calls, 10);
      expect(run.p99, id).toBeGreaterThanOrEqual(run.p50);
      expect(run.wallMs, id).toBeGreaterThan(0);
      expect(run.storeUnavailable, id).toBe(0);
    }
  });

  it('keeps the configured limits: divided per process, the whole quota when shared', () => {
    const runs = report.stormFleet!.runs;
    const perProcess = Math.floor(scenario.quotaPerMinute / scenario.processes);
    for (const run of runs.filter((r) => r.strategy === 'divided')) {
      expect(run.rpm).toBe(perProcess);
      for (const p of run.perProcess) expect(p.sent).toBeLessThanOrEqual(perProcess);
    }
    // Each process alone within its limit, the fleet past the quota: the server refuses what goes beyond it.
    const alone = runs.find((r) => r.workload === 'burst' && r.strategy === 'alone')!;
    expect(alone.received).toBeGreaterThan(scenario.quotaPerMinute);
    expect(alone.refused).toBe(alone.received - scenario.quotaPerMinute);
    // One admission per request against one shared window: the fleet never sends past the quota, so gets no 429.
    for (const run of runs.filter((r) => r.strategy === 'shared')) {
      expect(run.rpm).toBe(scenario.quotaPerMinute);
      expect(run.received).toBeLessThanOrEqual(scenario.quotaPerMinute);
      expect(run.refused).toBe(0);
    }
  });

  it('renders the section', () => {
    const markdown = renderReport(report, 'storm.svg');
    expect(markdown).toContain('## Overload storm, fleet variant');
    for (const workload of scenario.workloads) expect(markdown).toContain(`### ${workload.label}`);
    for (const strategy of fleetStrategies) expect(markdown).toContain(`| ${strategy.label} |`);
  });
});

describe('fleet scenario', () => {
  it('rejects a scenario that cannot run, naming the option', () => {
    expect(validateFleetScenario(fullFleetScenario)).toBe(fullFleetScenario);
    const bad = [
      [{ ...fullFleetScenario, processes: 0 }, 'processes'],
      [{ ...fullFleetScenario, quotaPerMinute: Number.NaN }, 'quotaPerMinute'],
      [{ ...fullFleetScenario, durationMs: 59_000 }, 'durationMs'],
      [
        { ...fullFleetScenario, workloads: [{ ...fullFleetScenario.workloads[0]!, shares: [1, 1] }] },
        'workloads.burst.shares',
      ],
    ] as const;
    for (const [scenario, option] of bad) {
      expect(() => validateFleetScenario(scenario)).toThrow(InvalidOptionError);
      expect(() => validateFleetScenario(scenario)).toThrow(option);
    }
  });

  it('splits each workload between the processes as its shares say', () => {
    for (const workload of fullFleetScenario.workloads) {
      const calls = workload.shares.map((_, p) => callsOf(fullFleetScenario, workload, p));
      const total = (workload.rate * fullFleetScenario.durationMs) / 1000;
      expect(Math.abs(calls.reduce((a, b) => a + b, 0) - total)).toBeLessThanOrEqual(calls.length / 2);
    }
  });
});
