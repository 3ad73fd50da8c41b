import { durationOf, type Scenario } from './scenario.js';

export interface ChartSeries {
  readonly label: string;
  /** Requests per second per bucket (scenario time). */
  readonly values: readonly number[];
}

const WIDTH = 960;
const HEIGHT = 420;
const MARGIN = { top: 36, right: 210, bottom: 46, left: 60 };
const COLORS = ['#7f7f7f', '#d62728', '#ff7f0e', '#9467bd', '#1f77b4', '#2ca02c', '#8c564b'];
const PHASE_FILL: Readonly<Record<string, string>> = {
  healthy: '#eaf5ea',
  overload: '#fbe3e3',
  recovery: '#e6eefa',
};

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A round axis maximum at or above `value`: 1, 2 or 5 times a power of ten. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/**
 * The storm chart as a standalone SVG: request rate at the service over scenario time, one line per client
 * strategy, the phases shaded, the service capacity dashed and the workload's own rate dotted.
 */
export function stormChart(scenario: Scenario, series: readonly ChartSeries[]): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const duration = durationOf(scenario);
  const peak = Math.max(
    scenario.rate,
    ...scenario.phases.map((p) => p.capacity),
    ...series.flatMap((s) => s.values.filter(Number.isFinite)),
  );
  const yMax = niceCeiling(peak * 1.05);
  const x = (ms: number): number => MARGIN.left + (ms / duration) * plotW;
  const y = (rate: number): number => MARGIN.top + plotH - (Math.max(0, rate) / yMax) * plotH;
  const f = (n: number): string => n.toFixed(1);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="20" font-size="14" font-weight="bold">Requests per second received by the service, per client strategy</text>`,
  );

  // Phases, capacity steps and the workload rate.
  let start = 0;
  const capacity: string[] = [];
  for (const phase of scenario.phases) {
    const end = start + phase.durationMs;
    out.push(
      `<rect x="${f(x(start))}" y="${MARGIN.top}" width="${f(x(end) - x(start))}" height="${plotH}" fill="${PHASE_FILL[phase.name] ?? '#f4f4f4'}"/>`,
      `<text x="${f((x(start) + x(end)) / 2)}" y="${MARGIN.top + 14}" text-anchor="middle" fill="#555">${phase.name}</text>`,
    );
    capacity.push(`${f(x(start))},${f(y(phase.capacity))} ${f(x(end))},${f(y(phase.capacity))}`);
    start = end;
  }

  // Axes and grid.
  for (let i = 0; i <= 5; i++) {
    const rate = (yMax * i) / 5;
    out.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${f(y(rate))}" y2="${f(y(rate))}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${f(y(rate) + 4)}" text-anchor="end">${Number(rate.toFixed(1))}</text>`,
    );
  }
  const tickEvery = niceCeiling(duration / 1000 / 8);
  for (let s = 0; s * 1000 <= duration; s += tickEvery) {
    out.push(`<text x="${f(x(s * 1000))}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${s}</text>`);
  }
  out.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 8}" text-anchor="middle">scenario time (s)</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">requests / s</text>`,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
    `<polyline points="${capacity.join(' ')}" fill="none" stroke="#000" stroke-width="1.5" stroke-dasharray="6 4"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${f(y(scenario.rate))}" y2="${f(y(scenario.rate))}" stroke="#000" stroke-dasharray="1 3"/>`,
  );

  // One line per strategy, at each bucket's middle.
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const points = s.values.map((v, b) => `${f(x((b + 0.5) * scenario.bucketMs))},${f(y(v))}`).join(' ');
    out.push(
      `<polyline points="${points}" fill="none" stroke="${color}" stroke-width="1.6" stroke-linejoin="round"/>`,
    );
  });

  // Legend.
  const legendX = MARGIN.left + plotW + 16;
  const entries: { label: string; stroke: string; dash?: string }[] = [
    ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length]! })),
    { label: 'service capacity', stroke: '#000', dash: '6 4' },
    { label: 'workload (issued)', stroke: '#000', dash: '1 3' },
  ];
  entries.forEach((entry, i) => {
    const ly = MARGIN.top + 10 + i * 20;
    out.push(
      `<line x1="${legendX}" x2="${legendX + 24}" y1="${ly}" y2="${ly}" stroke="${entry.stroke}" stroke-width="2"${entry.dash ? ` stroke-dasharray="${entry.dash}"` : ''}/>`,
      `<text x="${legendX + 30}" y="${ly + 4}">${escapeXml(entry.label)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
