import { type MeasureOptions, measureCases, type Timing } from './measure.js';
import { buildSubjects, type Library, type Path } from './subjects.js';

export interface OverheadRow {
  readonly composition: string;
  readonly path: Path;
  readonly library: Library | 'bare';
  readonly timing: Timing;
}

export interface OverheadResult {
  readonly rows: readonly OverheadRow[];
  /** Bare-call time per path (ns), the baseline of the "x bare" ratios. */
  readonly bare: Readonly<Record<Path, number>>;
}

/** Times every composition of every library, success and failure paths, in one process and one run. */
export async function runOverhead(options: MeasureOptions): Promise<OverheadResult> {
  const subjects = buildSubjects();
  try {
    const ids = subjects.list.map((s) => `${s.composition}|${s.path}|${s.library}`);
    // A rejection is compared with the bare successful call: the work the caller was spared.
    const baselineOf = (path: Path) => `bare call|${path === 'failure' ? 'failure' : 'success'}|bare`;
    const timings = await measureCases(
      subjects.list.map((s, i) => ({ id: ids[i]!, fn: s.fn, baseline: baselineOf(s.path) })),
      options,
    );
    const rows = subjects.list.map((s, i) => ({
      composition: s.composition,
      path: s.path,
      library: s.library,
      timing: timings[i]!,
    }));
    const bareOf = (path: Path): number =>
      rows.find((r) => r.library === 'bare' && r.path === path)?.timing.ns ?? Number.NaN;
    const bareSuccess = bareOf('success');
    // A rejection is measured against the bare success call: the work the caller was spared.
    return { rows, bare: { success: bareSuccess, failure: bareOf('failure'), rejection: bareSuccess } };
  } finally {
    await subjects.dispose();
  }
}
