/**
 * Pools the rounds of several fresh processes into one result. One process's rounds agree with each other better
 * than two processes do: what the JIT decided in a process (inlining, the shape feedback of a call site) holds for
 * all its rounds, so the interval of one process understates how far the next run may land (the rate limiter's ratio
 * measured 1.56 and 1.96 in two runs whose own intervals were ±5 %). The median and interval over the rounds of
 * every process take that in.
 */
import { bareTimes, type OverheadResult, type OverheadRow } from './index.js';
import { median, medianInterval } from './stats.js';

export function poolResults(results: readonly OverheadResult[]): OverheadResult {
  const [first] = results;
  if (first === undefined) throw new Error('poolResults: no result to pool');
  if (results.length === 1) return { ...first, processes: 1 };
  const rows: OverheadRow[] = first.rows.map((row, i) => {
    const same = results.map((r) => r.rows[i]!);
    if (same.some((r) => r.timing.id !== row.timing.id)) {
      throw new Error(`poolResults: the processes measured different cases at row ${i} (${row.timing.id})`);
    }
    const roundRatios = same.flatMap((r) => r.timing.roundRatios);
    const roundNs = same.flatMap((r) => r.timing.roundNs);
    return {
      ...row,
      timing: {
        id: row.timing.id,
        ns: median(roundNs),
        ratio: medianInterval(roundRatios),
        rounds: roundRatios.length,
        roundRatios,
        roundNs,
        bytesPerCall: median(same.map((r) => r.timing.bytesPerCall).filter(Number.isFinite)),
      },
    };
  });
  return {
    ...first,
    rows,
    bare: bareTimes(rows),
    seconds: results.reduce((sum, r) => sum + r.seconds, 0),
    processes: results.length,
  };
}
