/**
 * The virtual clock comparison (`pnpm bench:clock`) at a tiny size: every clock fires the timers left after the
 * clears, in due order. It proves the benchmark runs; it checks no timing.
 */
import { describe, expect, it } from 'vitest';
import { compareClocks, renderClockTable } from '../src/virtual-clock.js';

describe('virtual clock benchmark (smoke)', () => {
  it('runs every clock and each fires the remaining timers in order', async () => {
    const rows = await compareClocks(300, 1);
    expect(rows.map((r) => r.clock)).toEqual([
      'VirtualClock runAll',
      'fake-timers runAllAsync',
      'fake-timers runAll (no flush)',
    ]);
    for (const row of rows) {
      expect(row.fired, row.clock).toBe(150);
      expect(row.inOrder, row.clock).toBe(true);
      expect(row.fireNs, row.clock).toBeGreaterThan(0);
    }
    expect(renderClockTable(300, rows)).toContain('| VirtualClock runAll |');
  });
});
