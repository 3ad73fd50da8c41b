import type { RedisSubject } from './subjects.js';

/** One scenario's figures for one library. */
export interface RedisRow {
  readonly subject: RedisSubject;
  readonly scenario: string;
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /**
   * Redis's own time per admission (µs): the script calls' usec in INFO commandstats over the admissions. It does
   * not depend on the machine's load the way the rates do.
   */
  readonly serverUs: number;
}

/** The rows as a markdown table, the two subjects side by side per scenario. */
export function renderRedis(rows: readonly RedisRow[]): string {
  const lines = [
    '| scenario | library | admissions/s | p50 (ms) | p99 (ms) | Redis µs/admission |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ];
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  for (const scenario of scenarios) {
    for (const r of rows.filter((x) => x.scenario === scenario)) {
      lines.push(`| ${scenario} | ${r.subject} | ${r.opsPerSec} | ${r.p50Ms} | ${r.p99Ms} | ${r.serverUs} |`);
    }
  }
  return lines.join('\n');
}
