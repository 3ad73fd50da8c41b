/** The overhead section of the report: every runtime side by side, each ratio with its 95 % interval. */
import { CLOCK_READ } from './clock-read.js';
import type { OverheadResult, OverheadRow } from './index.js';
import { formatBytes, formatNs } from './measure.js';
import type { RuntimeOverhead } from './runtimes.js';
import { divideIntervals, type Interval, spreadOf } from './stats.js';
import { formatCheck, isMainCase } from './targets.js';

const yesNo = (met: boolean | undefined): string => (met === undefined ? 'n/a' : met ? 'yes' : '**no**');

const TITLES = {
  success: 'Success path (the function resolves)',
  failure: 'Failure path (the function rejects; nothing retries or trips)',
  rejection: 'Rejection path (the policy refuses without calling the function)',
} as const;

/** "1.42 (1.31–1.50)". */
function formatRatio(ratio: Interval, digits = 2): string {
  if (!Number.isFinite(ratio.median)) return 'n/a';
  return `${ratio.median.toFixed(digits)} (${ratio.low.toFixed(digits)}–${ratio.high.toFixed(digits)})`;
}

const keyOf = (r: Pick<OverheadRow, 'composition' | 'path' | 'library'>) =>
  `${r.composition}|${r.path}|${r.library}`;

/** "Node 20" from "v20.20.2". */
export const nodeMajor = (result: OverheadResult): string =>
  `Node ${result.node.replace(/^v/, '').split('.')[0]}`;

function bareBytes(result: OverheadResult, path: OverheadRow['path']): number {
  const bare = result.rows.find(
    (r) => r.library === 'bare' && r.path === (path === 'failure' ? 'failure' : 'success'),
  );
  return bare?.timing.bytesPerCall ?? Number.NaN;
}

function peerOverBulwark(result: OverheadResult, row: OverheadRow): string {
  if (row.library === 'bulwark' || row.library === 'bare') return '';
  const own = result.rows.find(
    (r) => r.composition === row.composition && r.path === row.path && r.library === 'bulwark',
  );
  if (own === undefined) return '';
  const q = divideIntervals(row.timing.ratio, own.timing.ratio);
  return `${q.median.toFixed(1)}× (${q.low.toFixed(1)}–${q.high.toFixed(1)})`;
}

function pathTable(
  measured: readonly { result: OverheadResult; label: string }[],
  path: OverheadRow['path'],
): string[] {
  const first = measured[0]!.result;
  const rows = first.rows.filter((r) => r.path === path);
  if (rows.length === 0) return [];
  const labels = measured.map((m) => m.label);
  const lines = [
    `### ${TITLES[path]}`,
    '',
    `Baseline: a bare ${path === 'failure' ? 'failing ' : ''}call, ` +
      measured
        .map(
          (m) =>
            `${formatNs(m.result.bare[path])} and ${formatBytes(bareBytes(m.result, path))} allocated per call on ${m.label}`,
        )
        .join('; ') +
      ' (the awaits of the caller and the harness). "× bare": the case against the bare call timed in ' +
      'alternation with it, median over rounds, with its 95 % interval in brackets; "allocated over bare" is what ' +
      'the policy adds; "peer ÷ Bulwark" divides the two ratios (its interval bounded by both).',
    '',
    `| composition | library | ${labels.map((l) => `${l} time/op | ${l} × bare`).join(' | ')} | allocated over bare (${labels.join(' / ')}) | peer ÷ Bulwark (${labels.join(' / ')}) |`,
    `| --- | --- | ${labels.map(() => '---: | ---:').join(' | ')} | ---: | ---: |`,
  ];
  for (const row of rows) {
    const cells: string[] = [];
    const bytes: string[] = [];
    const vs: string[] = [];
    for (const m of measured) {
      const own = m.result.rows.find((r) => keyOf(r) === keyOf(row));
      if (own === undefined) {
        cells.push('n/a | n/a');
        continue;
      }
      cells.push(`${formatNs(own.timing.ns)} | ${formatRatio(own.timing.ratio)}`);
      bytes.push(formatBytes(own.timing.bytesPerCall - bareBytes(m.result, path)));
      vs.push(peerOverBulwark(m.result, own));
    }
    const vsText = vs.every((v) => v === '') ? '' : vs.join(' / ');
    lines.push(
      `| ${row.composition} | ${row.library} | ${cells.join(' | ')} | ${bytes.join(' / ')} | ${vsText} |`,
    );
  }
  lines.push('');
  return lines;
}

/** The whole overhead section for every runtime measured. */
export function overheadSection(runtimes: readonly RuntimeOverhead[]): string {
  const lines: string[] = ['## Overhead per call', ''];
  const measured = runtimes.flatMap((r) =>
    r.result === undefined
      ? []
      : [{ result: r.result, targets: r.targets ?? [], label: nodeMajor(r.result) }],
  );
  for (const r of runtimes) {
    if (r.error !== undefined) lines.push(`- **${r.runtime}: could not run** (${r.error})`);
  }
  for (const m of measured) {
    const rounds = m.result.rows.map((r) => r.timing.rounds);
    const peers = Object.entries(m.result.peers)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ');
    lines.push(
      `- ${m.label}: Node ${m.result.node} (V8 ${m.result.v8}), ${Math.min(...rounds)} rounds per case ` +
        `(up to ${Math.max(...rounds)} for the targets' ratios) from ${m.result.processes ?? 1} fresh ` +
        `process(es) pooled, ${m.result.seconds.toFixed(0)} s; peers: ${peers} ` +
        '(the newest version of each that declares support for this Node).',
    );
  }
  lines.push('');
  if (measured.length === 0) return lines.join('\n');
  for (const path of ['success', 'failure', 'rejection'] as const) lines.push(...pathTable(measured, path));

  const checks = measured[0]!.targets;
  if (checks.length > 0) {
    lines.push(
      `### Targets (success path, ${measured.map((m) => m.label).join(' and ')})`,
      '',
      'Median ratio over rounds with its 95 % interval; a target is met only when the whole interval meets it.',
      '',
      `| target | ${measured.map((m) => `${m.label} | met`).join(' | ')} |`,
      `| --- | ${measured.map(() => '---: | :---:').join(' | ')} |`,
    );
    checks.forEach((check, i) => {
      const cells = measured.map((m) => {
        const own = m.targets[i];
        return own === undefined ? 'n/a | n/a' : `${formatCheck(own)} | ${yesNo(own.met)}`;
      });
      lines.push(`| ${check.target} | ${cells.join(' | ')} |`);
    });
    lines.push('', ...measured.map((m) => widestLine(m.result, m.label)), '');
  }
  for (const m of measured) {
    const clock = m.result.rows.find((r) => r.composition === CLOCK_READ && r.path === 'success');
    if (clock === undefined) continue;
    lines.push(
      `A rate limiter must read the clock on every call: on ${m.label} a bare call plus one \`Date.now()\` is ` +
        `already ${formatRatio(clock.timing.ratio)}× bare (${formatNs((clock.timing.ratio.median - 1) * m.result.bare.success)} per read).`,
      '',
    );
  }
  return lines.join('\n');
}

/** Which of the targets' own ratios (each case against the bare call) has the widest interval, and how wide. */
function widestLine(result: OverheadResult, label: string): string {
  const main = result.rows.filter(isMainCase);
  if (main.length === 0) return '';
  const widest = main.reduce((a, b) => (spreadOf(b.timing.ratio) > spreadOf(a.timing.ratio) ? b : a));
  const rounds = main.map((r) => r.timing.rounds);
  return (
    `- ${label}: the widest 95 % interval of the targets' own ratios is ±${(spreadOf(widest.timing.ratio) * 100).toFixed(0)} % ` +
    `(${widest.composition}, ${widest.library}), after ${Math.min(...rounds)}–${Math.max(...rounds)} rounds (in each ` +
    "process rounds are added until each is within ±15 %, or the maximum is reached; the processes' rounds are " +
    'then pooled, so the interval takes in how far processes differ). A ratio of two cases (peer ÷ Bulwark) or a ' +
    'difference (the instrumented rows) is bounded by both intervals, so it is wider.'
  );
}
