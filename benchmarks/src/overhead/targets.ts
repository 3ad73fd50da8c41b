import type { OverheadResult } from './index.js';
import { INSTRUMENTED_NO_SDK, INSTRUMENTED_SDK, SDK_RECORDS } from './instrumented.js';
import { divideIntervals, type Interval, subtractIntervals } from './stats.js';
import type { Subject } from './subjects.js';

export interface TargetCheck {
  readonly target: string;
  /** The figure: a median with its 95 % interval. */
  readonly value: Interval;
  readonly unit: '×' | ' ns';
  /** Met only when the whole interval meets the target; undefined when a figure it needs was not measured. */
  readonly met: boolean | undefined;
}

const FIVE = 'five-policy pipeline';
const FOUR = 'retry, breaker, timeout, bulkhead';
const NOT_MEASURED: Interval = { median: Number.NaN, low: Number.NaN, high: Number.NaN };

/** The success-path cases the targets read: their ratios get rounds until their interval is narrow enough. */
const MAIN: readonly (readonly [string, string])[] = [
  ['circuit breaker', 'bulwark'],
  ['bulkhead', 'bulwark'],
  ['rate limiter', 'bulwark'],
  ['rate limiter', 'bottleneck'],
  ['retry + timeout', 'bulwark'],
  [FIVE, 'bulwark'],
  [FOUR, 'cockatiel'],
  [INSTRUMENTED_SDK, 'bulwark'],
  [INSTRUMENTED_NO_SDK, 'bulwark'],
  [SDK_RECORDS, 'bare'],
];

export function isMainCase(subject: Pick<Subject, 'composition' | 'library' | 'path'>): boolean {
  return (
    subject.path === 'success' &&
    MAIN.some(([composition, library]) => subject.composition === composition && subject.library === library)
  );
}

/** The paired ratio to the bare call of one success-path case (see Timing.ratio). */
function ratioOf(result: OverheadResult, composition: string, library: string): Interval {
  return (
    result.rows.find((r) => r.composition === composition && r.library === library && r.path === 'success')
      ?.timing.ratio ?? NOT_MEASURED
  );
}

function check(
  target: string,
  value: Interval,
  limit: number,
  kind: 'atMost' | 'atLeast',
  unit: TargetCheck['unit'] = '×',
): TargetCheck {
  const worst = kind === 'atMost' ? value.high : value.low;
  const met = Number.isFinite(worst) ? (kind === 'atMost' ? worst <= limit : worst >= limit) : undefined;
  return { target, value, unit, met };
}

/** "1.42× (1.31–1.50×)": the median and its interval. */
export function formatCheck(check: TargetCheck): string {
  const { median, low, high } = check.value;
  if (!Number.isFinite(median)) return 'not measured';
  const digits = check.unit === '×' ? 2 : 0;
  return `${median.toFixed(digits)}${check.unit} (${low.toFixed(digits)}–${high.toFixed(digits)}${check.unit})`;
}

/**
 * The overhead targets, evaluated on the success path from paired ratios (each case against the bare
 * call timed in alternation with it), on whichever Node measured `result`. A target counts as met only when its
 * whole 95 % interval meets it. Figures, never assertions.
 */
export function overheadTargets(result: OverheadResult): TargetCheck[] {
  const ratio = (composition: string): Interval => ratioOf(result, composition, 'bulwark');
  const five = ratio(FIVE);
  return [
    check('circuit breaker within 1.5× of bare', ratio('circuit breaker'), 1.5, 'atMost'),
    check('bulkhead within 1.5× of bare', ratio('bulkhead'), 1.5, 'atMost'),
    check('rate limiter within 1.5× of bare', ratio('rate limiter'), 1.5, 'atMost'),
    check('retry + timeout within 3× of bare', ratio('retry + timeout'), 3, 'atMost'),
    check('five-policy pipeline within 5× of bare', five, 5, 'atMost'),
    check(
      "five-policy pipeline ≥ 20× faster than cockatiel's four-policy wrap",
      divideIntervals(ratioOf(result, FOUR, 'cockatiel'), five),
      20,
      'atLeast',
    ),
    ...instrumentationTargets(result),
    check(
      'rate-limiter admission ≥ 100× faster than bottleneck',
      divideIntervals(ratioOf(result, 'rate limiter', 'bottleneck'), ratio('rate limiter')),
      100,
      'atLeast',
    ),
  ];
}

/**
 * Polly v8 reports every strategy through .NET metrics; its own benchmark (MultipleStrategiesBenchmark, a
 * five-strategy pipeline) costs 2.237 µs per call without telemetry and 3.489 µs with it: telemetry adds 1.25 µs.
 * What @bulwark/opentelemetry adds in front of an SDK (no SDK registered: listeners, attribute lookups, the
 * policies' observed paths) must stay within that. With the real SDK, each successful call also makes two
 * histogram records (execution and attempt), which JavaScript's SDK prices by hashing their attribute sets: the
 * second target allows those records, measured alone, plus the same 1.25 µs. Differences of the paired ratios,
 * in ns of this run's bare call.
 */
function instrumentationTargets(result: OverheadResult): TargetCheck[] {
  const bare = result.bare.success;
  const ns = (composition: string, library = 'bulwark'): Interval => {
    const r = ratioOf(result, composition, library);
    return { median: r.median * bare, low: r.low * bare, high: r.high * bare };
  };
  const plain = ns(FIVE);
  const bareNs: Interval = { median: bare, low: bare, high: bare };
  const records = subtractIntervals(ns(SDK_RECORDS, 'bare'), bareNs);
  return [
    check(
      'instrumented five-policy pipeline, no SDK: adds ≤ 1250 ns (Polly v8 telemetry: +1.25 µs)',
      subtractIntervals(ns(INSTRUMENTED_NO_SDK), plain),
      1250,
      'atMost',
      ' ns',
    ),
    check(
      "instrumented five-policy pipeline with the SDK: adds ≤ the SDK's 2 records + 1250 ns",
      subtractIntervals(subtractIntervals(ns(INSTRUMENTED_SDK), plain), records),
      1250,
      'atMost',
      ' ns',
    ),
  ];
}
