/**
 * The benchmark suite in smoke mode (tiny iteration counts, a storm compressed to about a second per strategy):
 * proves that every case still runs and yields sane figures, so the benchmarks cannot rot. It checks no target
 * and no timing.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../src/report.js';
import { durationOf, smokeScenario } from '../src/storm/scenario.js';
import { runSuite, SECTIONS, writeReport } from '../src/suite.js';

let report: Report;

beforeAll(async () => {
  // The Redis section has its own smoke test (redis.test.ts): it starts a server and processes. The overhead
  // section runs in a child process of this machine's node only: Node 24 comes from npx's cache (pnpm bench).
  report = await runSuite({
    mode: 'smoke',
    sections: SECTIONS.filter((s) => s !== 'redis'),
    runtimes: ['node'],
  });
}, 120_000);

describe('overhead (smoke)', () => {
  it('times every composition of every library, on each path it has, in a process of the chosen node', () => {
    expect(report.overhead!.map((r) => r.runtime)).toEqual(['node']);
    const result = report.overhead![0]!.result!;
    expect(result.node).toBe(process.version);
    expect(Object.keys(result.peers).sort()).toEqual(['bottleneck', 'cockatiel', 'opossum', 'p-retry']);
    const rows = result.rows;
    expect(rows.length).toBeGreaterThanOrEqual(40);
    for (const row of rows) {
      expect(row.timing.ns, row.timing.id).toBeGreaterThan(0);
      expect(Number.isFinite(row.timing.ns), row.timing.id).toBe(true);
      const { low, median, high } = row.timing.ratio;
      expect(low <= median && median <= high, row.timing.id).toBe(true);
      expect(row.timing.rounds, row.timing.id).toBeGreaterThanOrEqual(1);
    }
    const libraries = new Set(rows.map((r) => r.library));
    expect([...libraries].sort()).toEqual([
      'bare',
      'bottleneck',
      'bulwark',
      'cockatiel',
      'opossum',
      'p-retry',
    ]);
    expect(result.bare.success).toBeGreaterThan(0);
  });

  it("evaluates every target from measured figures (the instrumented pipeline's two among them)", () => {
    const targets = report.overhead![0]!.targets!;
    expect(targets).toHaveLength(9);
    for (const target of targets) expect(target.met, target.target).not.toBeUndefined();
  });
});

describe('memory and pending timeouts (smoke)', () => {
  it('measures retained memory for every per-key population', () => {
    expect(report.memory).toHaveLength(6);
    for (const row of report.memory!) {
      expect(row.keys).toBe(50);
      expect(Number.isFinite(row.bytesPerKey), row.library).toBe(true);
      expect(row.buildMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('settles every pending timeout correctly, leaving no timer behind', () => {
    expect(report.timeouts).toHaveLength(4);
    for (const row of report.timeouts!) {
      expect(row.correct, `${row.library} ${row.scenario}`).toBe(row.pending);
      expect(row.leftoverTimers, `${row.library} ${row.scenario}`).toBeLessThanOrEqual(0);
    }
  });
});

describe('key churn (smoke)', () => {
  it('times the first and last chunk of every churn row', () => {
    const rows = report.churn!;
    expect(rows.map((r) => r.subject)).toEqual([
      'keyedPolicy, 10 in flight',
      'keyedPolicy, 200 in flight',
      'rateLimit per-call keys, 10 busy',
      'rateLimit per-call keys, 200 busy',
    ]);
    for (const row of rows) {
      expect(row.keys, row.subject).toBe(1000);
      expect(Number.isFinite(row.firstNsPerKey) && row.firstNsPerKey > 0, row.subject).toBe(true);
      expect(Number.isFinite(row.lastNsPerKey) && row.lastNsPerKey > 0, row.subject).toBe(true);
      expect(row.peakKeys, row.subject).toBeGreaterThan(0);
    }
  });
});

describe('calls on one long-lived signal (smoke)', () => {
  it('measures every scenario, with at most one listener on the signal at any time', () => {
    expect(report.signals).toHaveLength(2);
    for (const row of report.signals!) {
      expect(row.calls).toBe(2_000);
      expect(Number.isFinite(row.firstNs) && Number.isFinite(row.lastNs), row.scenario).toBe(true);
      expect(row.maxListeners, row.scenario).toBeLessThanOrEqual(1);
      // Deadline children leave once collected: without --expose-gc, one listener may remain until then.
      expect(row.listenersAfter, row.scenario).toBeLessThanOrEqual(1);
    }
  });
});

describe('storm (smoke)', () => {
  const issued = Math.floor((smokeScenario.rate * durationOf(smokeScenario)) / 1000);

  it('runs every client strategy through the whole scenario', () => {
    const ids = report.storm!.results.map((r) => r.id);
    expect(ids).toEqual(['none', 'naive', 'sdk', 'cockatiel', 'bulwark', 'bulwark-interactive']);
    for (const result of report.storm!.results) {
      const m = result.runs[0]!;
      expect(m.issued, result.id).toBe(issued);
      expect(m.completed + m.failed).toBe(issued);
      expect(m.completed, result.id).toBeGreaterThan(0);
      expect(m.received, result.id).toBe(m.answered.ok + m.answered.overloaded + m.answered.quota);
      expect(m.answered.ok, result.id).toBeGreaterThanOrEqual(m.completed);
      expect(m.abandoned, result.id).toBe(0);
      expect(m.p50).toBeGreaterThan(0);
      expect(m.p99).toBeGreaterThanOrEqual(m.p50);
      expect(m.serviceRate).toHaveLength(durationOf(smokeScenario) / smokeScenario.bucketMs);
    }
  });

  it('sends exactly one request per logical request without retries, and more with naive retries', () => {
    const by = (id: string) => report.storm!.results.find((r) => r.id === id)!.runs[0]!;
    expect(by('none').received).toBe(issued);
    expect(by('none').amplification).toBe(1);
    expect(by('naive').amplification).toBeGreaterThan(1);
  });

  it('plays the model for both Bulwark profiles and the peers, with the median and the worst recovery', () => {
    const summaries = report.stormModel!.summaries;
    expect(summaries.map((s) => s.id)).toEqual(['bulwark', 'bulwark-interactive', 'naive', 'none']);
    for (const s of summaries) {
      expect(s.seeds).toEqual([1]);
      expect(s.completed, s.id).toBeGreaterThan(0);
      expect(s.recoveryWorstMs, s.id).toBeGreaterThanOrEqual(s.recoveryMedianMs);
    }
  });

  it('writes the Markdown report, the JSON and the chart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bulwark-bench-'));
    try {
      await writeReport(report, dir);
      const markdown = await readFile(join(dir, 'latest.md'), 'utf8');
      for (const heading of [
        '# Bulwark benchmarks',
        '## Overhead per call',
        '## Key churn',
        '## Overload storm',
        '## The storm on a virtual clock',
      ]) {
        expect(markdown).toContain(heading);
      }
      expect(markdown).toContain(`Node ${process.version}`);
      const json = JSON.parse(await readFile(join(dir, 'latest.json'), 'utf8')) as Report;
      expect(json.storm!.results).toHaveLength(6);
      expect(await readFile(join(dir, 'storm.svg'), 'utf8')).toMatch(/^<svg /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
