import type { OverheadResult } from './index.js';

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  /** undefined when a figure it needs was not measured. */
  readonly met: boolean | undefined;
}

/** The paired ratio to the bare call of one success-path case (see Timing.ratio). */
function ratioOf(result: OverheadResult, composition: string, library: string): number {
  return (
    result.rows.find((r) => r.composition === composition && r.library === library && r.path === 'success')
      ?.timing.ratio ?? Number.NaN
  );
}

function check(
  target: string,
  value: number,
  limit: number,
  kind: 'atMost' | 'atLeast',
  unit = '×',
): TargetCheck {
  const measured = Number.isFinite(value) ? `${value.toFixed(2)}${unit}` : 'not measured';
  const met = Number.isFinite(value) ? (kind === 'atMost' ? value <= limit : value >= limit) : undefined;
  return { target, measured, met };
}

/**
 * The overhead targets (Node 20), evaluated on the success path from paired ratios (each case against
 * the bare call measured just before it). Figures, never assertions.
 */
export function overheadTargets(result: OverheadResult): TargetCheck[] {
  const ratio = (composition: string): number => ratioOf(result, composition, 'bulwark');
  const five = ratio('five-policy pipeline');
  return [
    check('circuit breaker within 1.5× of bare', ratio('circuit breaker'), 1.5, 'atMost'),
    check('bulkhead within 1.5× of bare', ratio('bulkhead'), 1.5, 'atMost'),
    check('rate limiter within 1.5× of bare', ratio('rate limiter'), 1.5, 'atMost'),
    check('retry + timeout within 3× of bare', ratio('retry + timeout'), 3, 'atMost'),
    check('five-policy pipeline within 5× of bare', five, 5, 'atMost'),
    check(
      "five-policy pipeline ≥ 20× faster than cockatiel's four-policy wrap",
      ratioOf(result, 'retry, breaker, timeout, bulkhead', 'cockatiel') / five,
      20,
      'atLeast',
    ),
    check(
      'rate-limiter admission ≥ 100× faster than bottleneck',
      ratioOf(result, 'rate limiter', 'bottleneck') / ratio('rate limiter'),
      100,
      'atLeast',
    ),
  ];
}
