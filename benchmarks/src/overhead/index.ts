import { type MeasureOptions, measureCases, type Timing } from './measure.js';
import { loadPeers, type PeerName } from './peers.js';
import { buildSubjects, type Library, type Path } from './subjects.js';
import { isMainCase } from './targets.js';

export interface OverheadRow {
  readonly composition: string;
  readonly path: Path;
  readonly library: Library | 'bare';
  readonly timing: Timing;
}

export interface OverheadResult {
  /** The Node that measured (`process.version`) and the peer versions it measured (the newest it supports). */
  readonly node: string;
  readonly v8: string;
  readonly peers: Readonly<Record<PeerName, string>>;
  readonly rows: readonly OverheadRow[];
  /** Bare-call time per path (ns), the baseline of the "x bare" ratios. */
  readonly bare: Readonly<Record<Path, number>>;
  /** Seconds the measurement took (in all its processes). */
  readonly seconds: number;
  /** Fresh processes whose rounds were pooled (pool.ts); 1 for one process's result. */
  readonly processes?: number;
}

/** Times every composition of every library, on every path, in this process. */
export async function runOverhead(options: MeasureOptions): Promise<OverheadResult> {
  const started = performance.now();
  const peers = await loadPeers();
  const subjects = buildSubjects(peers);
  try {
    // A rejection is compared with the bare successful call: the work the caller was spared.
    const baselineOf = (path: Path) => `bare call|${path === 'failure' ? 'failure' : 'success'}|bare`;
    const timings = await measureCases(
      subjects.list.map((s) => ({
        id: `${s.composition}|${s.path}|${s.library}`,
        fn: s.fn,
        baseline: baselineOf(s.path),
        main: isMainCase(s),
        // bottleneck starts every job on a timer: what it costs is the caller's wait, not CPU time.
        clock: s.library === 'bottleneck' ? 'wall' : 'cpu',
      })),
      options,
    );
    const rows = subjects.list.map((s, i) => ({
      composition: s.composition,
      path: s.path,
      library: s.library,
      timing: timings[i]!,
    }));
    return {
      node: process.version,
      v8: process.versions.v8,
      peers: peers.versions,
      rows,
      bare: bareTimes(rows),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await subjects.dispose();
  }
}

/** The bare call's time per path (ns), the baseline of the "x bare" ratios; a rejection is compared with a success. */
export function bareTimes(rows: readonly OverheadRow[]): OverheadResult['bare'] {
  const bareOf = (path: Path): number =>
    rows.find((r) => r.library === 'bare' && r.path === path)?.timing.ns ?? Number.NaN;
  const success = bareOf('success');
  return { success, failure: bareOf('failure'), rejection: success };
}
