import type { FleetResult, FleetRun } from './index.js';

const ms = (n: number): string => (Number.isFinite(n) ? `${Math.round(n)} ms` : '–');
const s = (n: number): string => `${(n / 1000).toFixed(1)} s`;

function failuresText(run: FleetRun): string {
  const reasons = Object.entries(run.failures).sort((a, b) => b[1] - a[1]);
  if (reasons.length === 0) return '0';
  return `${run.failed} (${reasons.map(([reason, n]) => `${reason} ${n}`).join(', ')})`;
}

function perProcessText(run: FleetRun): string {
  return run.perProcess
    .map((p) => `${p.completed}/${p.calls}${p.refused > 0 ? ` (${p.refused}×429)` : ''}`)
    .join(', ');
}

/** The fleet section of the Markdown report. */
export function fleetSection(fleet: FleetResult): string {
  const sc = fleet.scenario;
  const label = new Map(fleet.strategies.map((st) => [st.id, st.label]));
  const lines = [
    '## Overload storm, fleet variant: one project quota, several processes',
    '',
    `Scenario \`${sc.name}\`: ${sc.processes} client processes (each its own \`@google/genai\` client with ` +
      '`withResilience`) call one fake Gemini server whose project quota is ' +
      `${sc.quotaPerMinute} requests per sliding minute for all of them together (429 RESOURCE_EXHAUSTED with ` +
      `RetryInfo above it). Each process issues its calls open loop for ${s(sc.durationMs)}; an answer takes ` +
      `${sc.latencyMs} ms; each call has a ${s(sc.deadlineMs)} deadline (the adapter's maxQueueWait, ` +
      "maxRetryDelay and totalTimeout). The windows are real minutes (the Redis store runs on Redis's clock), so " +
      'within a run the quota is a budget: what differs is how the fleet spends it. Each run gets a fresh server ' +
      'and a fresh project key in Redis (a real redis-server started by the benchmark).',
    '',
  ];
  for (const workload of sc.workloads) {
    const runs = fleet.runs.filter((r) => r.workload === workload.id);
    if (runs.length === 0) continue;
    lines.push(
      `### ${workload.label}: ${runs[0]!.calls} calls, ${workload.description}`,
      '',
      '| strategy | rpm per process | completed | failed (by reason) | server received (200 / 429) | amplification | quota used | p50 / p99 | wall time | per process: completed/calls |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    for (const r of runs) {
      lines.push(
        `| ${label.get(r.strategy) ?? r.strategy} | ${r.rpm} | ${r.completed} | ${failuresText(r)} | ` +
          `${r.received} (${r.served} / ${r.refused}) | ${r.amplification.toFixed(2)} | ` +
          `${(r.quotaUsed * 100).toFixed(0)} % | ${ms(r.p50)} / ${ms(r.p99)} | ${s(r.wallMs)} | ${perProcessText(r)} |`,
      );
    }
    lines.push('');
  }
  const stall = Math.max(0, ...fleet.runs.map((r) => r.loopDelayMaxMs));
  const unavailable = fleet.runs.reduce((n, r) => n + r.storeUnavailable, 0);
  lines.push(
    'Amplification = generateContent requests the server received ÷ calls made. Quota used = requests served ÷ ' +
      "the quota. Latency: from a call's scheduled time to its settlement, every call (failed ones too), real ms. " +
      "Wall time: from the first call's scheduled time to the last settlement. Failure reasons: `RATE_LIMITED` " +
      'refused by the client-side limit (local or shared) without sending; `rateLimited` a 429 from the server, ' +
      'or not sent because a 429 paused the process for longer than the deadline; `THROTTLED` dropped by the ' +
      'adaptive concurrency limit (which 429s and refusals shrink) as its deadline would pass in its queue; ' +
      '`TIMEOUT` the deadline passed while waiting. ' +
      `Longest event-loop stall of any process: ${stall.toFixed(0)} ms; store calls that found Redis unavailable: ${unavailable}.`,
    '',
    '| strategy | configuration |',
    '| --- | --- |',
    ...fleet.strategies.map((st) => `| ${st.label} | ${st.description} |`),
    '',
  );
  return lines.join('\n');
}
