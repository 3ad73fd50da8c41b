import { bench, run } from 'mitata';

/** One benchmark case: a name and an async function measured per call. */
export interface Case {
  readonly name: string;
  readonly group: string;
  readonly fn: () => Promise<unknown>;
}

export interface Measured {
  readonly name: string;
  readonly group: string;
  /** Mean time per call (ns). */
  readonly ns: number;
  readonly p99: number;
}

/** Runs every case with mitata (quietly) and returns mean and p99 ns per call. */
export async function measureCases(cases: readonly Case[]): Promise<Measured[]> {
  for (const c of cases) bench(c.name, c.fn);
  const { benchmarks } = await run({ format: 'quiet', throw: true } as never);
  const byName = new Map(cases.map((c) => [c.name, c] as const));
  return benchmarks.map((b: any) => {
    const stats = b.runs[0].stats;
    const c = byName.get(b.alias)!;
    return { name: c.name, group: c.group, ns: stats.avg, p99: stats.p99 };
  });
}

export function formatNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(0)} ns`;
}

/** A markdown table of measured cases with their ratio to a baseline and to a named peer per row. */
export function table(rows: readonly Measured[], bare: number, peers: Record<string, string> = {}): string {
  const lines = ['| case | time/op | p99 | × bare | vs peer |', '| --- | ---: | ---: | ---: | --- |'];
  const byName = new Map(rows.map((r) => [r.name, r]));
  for (const r of rows) {
    const peer = peers[r.name] ? byName.get(peers[r.name]!) : undefined;
    const vsPeer = peer ? `${(peer.ns / r.ns).toFixed(1)}× faster than ${peer.name}` : '';
    lines.push(
      `| ${r.name} | ${formatNs(r.ns)} | ${formatNs(r.p99)} | ${(r.ns / bare).toFixed(2)} | ${vsPeer} |`,
    );
  }
  return lines.join('\n');
}
