import { type RedisRow, renderRedis } from './redis/rows.js';
import type { MachineInfo } from './machine.js';
import type { ChurnRow } from './overhead/key-churn.js';
import type { SignalRow } from './overhead/long-lived-signal.js';
import type { MemoryRow } from './overhead/memory.js';
import { formatBytes, formatNs } from './overhead/measure.js';
import { overheadSection } from './overhead/report.js';
import type { RuntimeOverhead } from './overhead/runtimes.js';
import type { TimeoutRow } from './overhead/timeouts.js';
import type { FleetResult } from './storm/fleet/index.js';
import { fleetSection } from './storm/fleet/report.js';
import { type StormModelResult, stormModelSection } from './storm/model-summary.js';
import type { StormResult, StrategyResult } from './storm/index.js';
import type { StormMetrics } from './storm/metrics.js';
import { durationOf, type Scenario } from './storm/scenario.js';

export interface Report {
  readonly mode: 'full' | 'smoke';
  readonly machine: MachineInfo;
  /** 1-minute load average when the run ended. */
  readonly loadAverageAfter: number;
  /** The overhead suite per runtime (Node 20 and Node 24 by default), side by side in the report. */
  readonly overhead?: readonly RuntimeOverhead[];
  readonly memory?: readonly MemoryRow[];
  readonly timeouts?: readonly TimeoutRow[];
  readonly churn?: readonly ChurnRow[];
  readonly signals?: readonly SignalRow[];
  readonly storm?: StormResult;
  /** Admissions through a limiter on Redis, Bulwark's store next to rate-limiter-flexible's. */
  readonly redis?: readonly RedisRow[];
  readonly verdict?: readonly StormVerdict[];
  /** The storm model over many seeds, both Bulwark profiles (section `storm-model`). */
  readonly stormModel?: StormModelResult;
  /** The storm's fleet variant: processes sharing one project quota (section `storm-fleet`). */
  readonly stormFleet?: FleetResult;
}

export interface StormVerdict {
  readonly claim: string;
  readonly met: boolean;
  readonly detail: string;
}

/** Median of one metric over a strategy's runs; a never-recovered run counts as +Infinity. */
export function medianOf(result: StrategyResult, pick: (m: StormMetrics) => number | null): number {
  const values = result.runs.map((m) => pick(m) ?? Number.POSITIVE_INFINITY);
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The storm's claims for Bulwark's pipeline against the retrying peers, from the medians. */
export function stormVerdict(storm: StormResult): StormVerdict[] {
  const bulwark = storm.results.find((r) => r.id === 'bulwark');
  const peers = storm.results.filter((r) => !r.id.startsWith('bulwark') && r.id !== 'none');
  if (bulwark === undefined || peers.length === 0) return [];
  const amp = (r: StrategyResult) => medianOf(r, (m) => m.amplification);
  const waste = (r: StrategyResult) => medianOf(r, (m) => m.wasted ?? Number.NaN);
  const rec = (r: StrategyResult) => medianOf(r, (m) => m.recoveryMs);
  const done = (r: StrategyResult) => medianOf(r, (m) => m.completed);
  const list = (pick: (r: StrategyResult) => number, fmt: (n: number) => string) =>
    peers.map((p) => `${p.label} ${fmt(pick(p))}`).join(', ');
  const recText = (n: number) => (Number.isFinite(n) ? `${(n / 1000).toFixed(0)} s` : 'never');
  const best = peers.reduce((a, b) => (done(b) > done(a) ? b : a));
  return [
    {
      claim: 'lowest load amplification of the retrying strategies',
      met: peers.every((p) => amp(bulwark) < amp(p)),
      detail: `Bulwark ${amp(bulwark).toFixed(2)}; ${list(amp, (n) => n.toFixed(2))}`,
    },
    {
      claim: 'fewest wasted requests (refused by the service, per request issued) of the retrying strategies',
      met: peers.every((p) => waste(bulwark) < waste(p)),
      detail: `Bulwark ${waste(bulwark).toFixed(3)}; ${list(waste, (n) => n.toFixed(3))}`,
    },
    {
      claim: 'fastest recovery of the retrying strategies',
      met: peers.every((p) => rec(bulwark) <= rec(p)),
      detail: `Bulwark ${recText(rec(bulwark))}; ${list(rec, recText)}`,
    },
    {
      claim: 'completes at least as many requests as the best retrying peer',
      met: done(bulwark) >= done(best),
      detail: `Bulwark ${done(bulwark)}; best peer ${best.label} ${done(best)}`,
    },
  ];
}

const yesNo = (met: boolean | undefined): string => (met === undefined ? 'n/a' : met ? 'yes' : '**no**');

function memorySection(rows: readonly MemoryRow[]): string {
  const lines = [
    `## Memory of ${rows[0]?.keys.toLocaleString('en-US') ?? 0} per-key policies`,
    '',
    'Each key created and used once; retained heap after a full collection.',
    '',
    '| policy | library | retained per key | time to create all |',
    '| --- | --- | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.subject} | ${r.library} | ${formatBytes(r.bytesPerKey)} | ${r.buildMs.toFixed(0)} ms |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function timeoutSection(rows: readonly TimeoutRow[]): string {
  const lines = [
    `## ${rows[0]?.pending.toLocaleString('en-US') ?? 0} concurrently pending timeouts`,
    '',
    '`cancel`: the work finishes first (60 s timeout), every execution must resolve. `fire`: the work never ' +
      'finishes, every execution must reject with the library\'s timeout error; "settle" is how long after the ' +
      'deadline the last one did. Leftover timers: Node timers still active afterwards.',
    '',
    '| library | case | schedule/op | heap per pending | settled correctly | settle | leftover timers |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.library} | ${r.scenario} | ${formatNs(r.scheduleNs)} | ${formatBytes(r.bytesPerPending)} | ${r.correct}/${r.pending} | ${r.settleMs.toFixed(0)} ms | ${r.leftoverTimers} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function churnSection(rows: readonly ChurnRow[]): string {
  const first = rows[0];
  const lines = [
    `## Key churn: ${first?.keys.toLocaleString('en-US') ?? 0} distinct keys, maxKeys ${first?.maxKeys.toLocaleString('en-US') ?? 0}`,
    '',
    'Each key is used once while a fixed number of keys are busy: keyedPolicy executions still running (a circuit ' +
      'breaker per key), or rate-limit keys whose usage still counts (a sliding window as long as that many keys, ' +
      'one key per ms of a manual clock). Time per key in the first and the last chunk of ' +
      `${first?.chunk.toLocaleString('en-US') ?? 0} keys: they must stay flat, with the busy keys below or above ` +
      'maxKeys. Peak keys: the most keys held at once (busy keys are never evicted, so it may pass maxKeys).',
    '',
    '| subject | busy keys | first chunk per key | last chunk per key | keys/s | peak keys |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.subject} | ${r.busy.toLocaleString('en-US')} | ${formatNs(r.firstNsPerKey)} | ${formatNs(r.lastNsPerKey)} | ${Math.round(r.keysPerSecond).toLocaleString('en-US')} | ${r.peakKeys.toLocaleString('en-US')} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function signalSection(rows: readonly SignalRow[]): string {
  const lines = [
    `## ${rows[0]?.calls.toLocaleString('en-US') ?? 0} calls on one long-lived parent signal`,
    '',
    "Calls in batches of 1,000 in flight at once, all under one signal that never aborts (a server's shutdown " +
      'signal). The cost per call of the first and the last calls must be alike, the signal must hold at most one ' +
      'listener, and the calls must leave nothing behind once over.',
    '',
    '| scenario | first calls, per call | last calls, per call | most listeners on the signal | listeners after | heap left per call |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.scenario} | ${formatNs(r.firstNs)} (${r.window.toLocaleString('en-US')}) | ${formatNs(r.lastNs)} (${r.window.toLocaleString('en-US')}) | ${r.maxListeners} | ${r.listenersAfter} | ${formatBytes(r.retainedPerCall)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function scenarioText(s: Scenario): string {
  const phases = s.phases
    .map((p) => `${p.name} ${(p.durationMs / 1000).toFixed(0)} s at capacity ${p.capacity} req/s`)
    .join(', ');
  return [
    `Scenario \`${s.name}\`: ${s.clients} client instances issue ${s.rate} requests/s in total (open loop) for ` +
      `${(durationOf(s) / 1000).toFixed(0)} s; ${phases}. A served request takes ${s.latencyMs / 1000} s; above ` +
      `capacity the service answers 503 at once${s.rejectCost > 0 ? ` (a 503 costs ${s.rejectCost} of a served request)` : ''}. ` +
      `The project quota is ${s.quotaPerMinute} requests per sliding minute (429 with RetryInfo above it; 200s and ` +
      `503s count). Each request has a ${s.deadlineMs / 1000} s deadline. Times are scenario time: the run is ` +
      `compressed ${Math.round(1 / s.scale)}× (every duration, library defaults included, is multiplied by ${s.scale}).`,
  ].join('\n');
}

function range(
  result: StrategyResult,
  pick: (m: StormMetrics) => number | null,
  fmt: (n: number) => string,
): string {
  const m = medianOf(result, pick);
  if (result.runs.length === 1) return fmt(m);
  const values = result.runs.map((r) => pick(r) ?? Number.POSITIVE_INFINITY);
  return `${fmt(m)} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`;
}

function discardedText(storm: StormResult): string {
  const parts = storm.results
    .filter((r) => r.discarded.length > 0)
    .map(
      (r) =>
        `${r.label} ${r.discarded.length} (stalls of ${r.discarded.map((m) => stallOf(m).toFixed(0)).join(', ')} ms)`,
    );
  return parts.length === 0 ? 'none was' : parts.join('; ');
}

function stallOf(m: StormMetrics): number {
  return Math.max(m.loopDelayMaxMs, m.serviceLoopDelayMaxMs);
}

function stormSection(storm: StormResult, verdict: readonly StormVerdict[], chartFile: string): string {
  const s = storm.scenario;
  const runs = storm.results[0]?.runs.length ?? 0;
  const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toString() : 'never');
  const sec = (n: number) => (Number.isFinite(n) ? `${(n / 1000).toFixed(1)} s` : 'never');
  const lines = [
    '## Overload storm',
    '',
    scenarioText(s),
    '',
    (runs > 1 ? `Median of ${runs} runs per strategy (range in brackets).` : 'One run per strategy.') +
      ` Runs during which the client's or the service's event loop stalled for more than ${storm.stallLimitMs} ms ` +
      `(real time) were discarded and played again (at most twice): ${discardedText(storm)}.`,
    '',
    '| strategy | completed | failed | service received (200 / 503 / 429) | amplification | wasted | peak during overload | recovery, median (best–worst) | p50 / p99 (all) | p50 / p99 (successful) | loop delay p99 / longest stall |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of storm.results) {
    const a = r.runs[0]!.answered;
    const received =
      runs === 1
        ? `${r.runs[0]!.received} (${a.ok} / ${a.overloaded} / ${a.quota})`
        : range(r, (m) => m.received, int);
    lines.push(
      `| ${r.label} | ${range(r, (m) => m.completed, int)} | ${range(r, (m) => m.failed, int)} | ${received} | ` +
        `${range(
          r,
          (m) => m.amplification,
          (n) => n.toFixed(2),
        )} | ${range(
          r,
          (m) => m.wasted,
          (n) => n.toFixed(3),
        )} | ${range(r, (m) => m.peakOverloadRate, int)} req/s | ` +
        `${range(r, (m) => m.recoveryMs, sec)} | ${sec(medianOf(r, (m) => m.p50))} / ${sec(medianOf(r, (m) => m.p99))} | ` +
        `${sec(medianOf(r, (m) => m.okP50))} / ${sec(medianOf(r, (m) => m.okP99))} | ` +
        `${Math.max(...r.runs.map((m) => m.loopDelayP99Ms)).toFixed(0)} / ${Math.max(...r.runs.map(stallOf)).toFixed(0)} ms |`,
    );
  }
  lines.push(
    '',
    'Amplification = requests the service received ÷ logical requests issued; wasted = requests the service ' +
      'refused (503 or 429) ÷ logical requests issued. Recovery = time from capacity ' +
      'returning until every 5-s window, for at least 30 s, has ≥ 95 % of its issued requests succeeding and ' +
      "≥ 95 % of the requests the service received served. Loop delay: the client thread's p99 event-loop delay " +
      'and the longest stall of either thread, in real ms, worst kept run: how busy the measuring machine was.',
    '',
    '| strategy | configuration |',
    '| --- | --- |',
    ...storm.results.map((r) => `| ${r.label} | ${r.description} |`),
    '',
    `![Service request rate per strategy](${chartFile})`,
    '',
  );
  if (verdict.length > 0) {
    lines.push(
      '### Bulwark against the retrying peers',
      '',
      '| claim | met | figures |',
      '| --- | :---: | --- |',
    );
    for (const v of verdict) lines.push(`| ${v.claim} | ${yesNo(v.met)} | ${v.detail} |`);
    lines.push(
      '',
      'Amplification has a floor: a client that completes N of the I requests issued makes the service receive ' +
        'at least N, so its amplification is at least N ÷ I. A strategy that fails requests without sending ' +
        'them (an open breaker) can show a lower amplification only by completing fewer; the wasted-requests ' +
        'claim compares what the service received beyond what it served.',
      '',
    );
  }
  return lines.join('\n');
}

/** The whole report as Markdown. `chartFile` is the chart's path relative to the report. */
export function renderReport(report: Report, chartFile: string): string {
  const m = report.machine;
  const parts = [
    '# Bulwark benchmarks',
    '',
    `- Date: ${m.date}`,
    `- Node ${m.node} (V8 ${m.v8}), ${m.os}`,
    `- CPU: ${m.cpu} × ${m.cores}; memory ${m.memoryGiB} GiB (${m.freeMemoryGiB} GiB free)`,
    `- Load average (1 min): ${m.loadAverage} at the start, ${report.loadAverageAfter} at the end` +
      (m.loadAverage > m.cores * 0.5 ? ' — other work was running: expect noise' : ''),
    `- Mode: ${report.mode}${report.mode === 'smoke' ? ' (tiny iteration counts: figures are not meaningful)' : ''}`,
    '',
  ];
  if (report.overhead) parts.push(overheadSection(report.overhead));
  if (report.memory) parts.push(memorySection(report.memory));
  if (report.timeouts) parts.push(timeoutSection(report.timeouts));
  if (report.churn) parts.push(churnSection(report.churn));
  if (report.signals) parts.push(signalSection(report.signals));
  if (report.storm) parts.push(stormSection(report.storm, report.verdict ?? [], chartFile));
  if (report.stormModel) parts.push(stormModelSection(report.stormModel));
  if (report.redis) parts.push(`## Rate limits on Redis\n\n${renderRedis(report.redis)}\n`);
  if (report.stormFleet) parts.push(fleetSection(report.stormFleet));
  return parts.join('\n');
}
