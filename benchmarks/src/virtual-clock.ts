/**
 * `pnpm bench:clock [--timers=N]`: the VirtualClock of @bulwark/core/testing against @sinonjs/fake-timers, with N
 * timers (default 20,000) due at spread times: the cost to set them, to clear half of them and to fire the rest,
 * and whether the rest fired in due order (ties in creation order).
 *
 * VirtualClock, and fake-timers' `runAllAsync`, let promise continuations run between two timers (one macrotask per
 * timer: most of their cost), so code awaiting a timer resumes before the next one fires. fake-timers' `runAll`
 * does not (cheaper, but an awaiting function resumes only once every timer has fired).
 */
import { fileURLToPath } from 'node:url';
import { seededRandom, VirtualClock } from '@bulwark/core/testing';
import FakeTimers from '@sinonjs/fake-timers';

export interface ClockRow {
  readonly clock: string;
  /** Mean cost to set one timer (ns). */
  readonly setNs: number;
  /** Mean cost to clear one timer (ns). */
  readonly clearNs: number;
  /** Mean cost to fire one timer, continuations flushed or not (ns). */
  readonly fireNs: number;
  readonly fired: number;
  /** The timers left fired in due order, ties in creation order. */
  readonly inOrder: boolean;
}

interface Subject {
  readonly clock: string;
  make(timers: number): {
    set(callback: () => void, ms: number): unknown;
    clear(handle: unknown): void;
    run(): Promise<void> | void;
  };
}

const subjects: readonly Subject[] = [
  {
    clock: 'VirtualClock runAll',
    make: (timers) => {
      const clock = new VirtualClock();
      return {
        set: (callback, ms) => clock.setTimer(callback, ms),
        clear: (handle) => clock.clearTimer(handle),
        run: () => clock.runAll(timers + 1),
      };
    },
  },
  {
    clock: 'fake-timers runAllAsync',
    make: (timers) => {
      const clock = FakeTimers.createClock(0, timers + 1);
      return {
        set: (callback, ms) => clock.setTimeout(callback, ms),
        clear: (handle) => clock.clearTimeout(handle as FakeTimers.TimerId),
        run: async () => {
          await clock.runAllAsync();
        },
      };
    },
  },
  {
    clock: 'fake-timers runAll (no flush)',
    make: (timers) => {
      const clock = FakeTimers.createClock(0, timers + 1);
      return {
        set: (callback, ms) => clock.setTimeout(callback, ms),
        clear: (handle) => clock.clearTimeout(handle as FakeTimers.TimerId),
        run: () => {
          clock.runAll();
        },
      };
    },
  },
];

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function measure(subject: Subject, timers: number, seed: number): Promise<ClockRow> {
  const random = seededRandom(seed);
  const delays = Array.from({ length: timers }, () => Math.floor(random() * 10_000));
  const clock = subject.make(timers);
  const fired: number[] = [];
  gc();
  let start = performance.now();
  const handles = delays.map((ms, i) => clock.set(() => fired.push(i), ms));
  const setNs = ((performance.now() - start) * 1e6) / timers;
  start = performance.now();
  for (let i = 0; i < timers; i += 2) clock.clear(handles[i]);
  const cleared = Math.ceil(timers / 2);
  const clearNs = ((performance.now() - start) * 1e6) / cleared;
  start = performance.now();
  await clock.run();
  const fireNs = ((performance.now() - start) * 1e6) / Math.max(1, timers - cleared);
  const expected = delays
    .map((ms, i) => [ms, i] as const)
    .filter(([, i]) => i % 2 === 1)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .map(([, i]) => i);
  const inOrder = fired.length === expected.length && fired.every((id, k) => id === expected[k]);
  return { clock: subject.clock, setNs, clearNs, fireNs, fired: fired.length, inOrder };
}

/** Each clock `repetitions` times; the best figure of each column (the least disturbed by the machine). */
export async function compareClocks(timers: number, repetitions = 3): Promise<ClockRow[]> {
  const rows: ClockRow[] = [];
  for (const subject of subjects) {
    let best: ClockRow | undefined;
    for (let r = 0; r < repetitions; r++) {
      const row = await measure(subject, timers, r + 1);
      best =
        best === undefined
          ? row
          : {
              ...row,
              setNs: Math.min(best.setNs, row.setNs),
              clearNs: Math.min(best.clearNs, row.clearNs),
              fireNs: Math.min(best.fireNs, row.fireNs),
              inOrder: best.inOrder && row.inOrder,
            };
    }
    rows.push(best!);
  }
  return rows;
}

export function renderClockTable(timers: number, rows: readonly ClockRow[]): string {
  const fmt = (ns: number) => `${Math.round(ns).toLocaleString('en-US')} ns`;
  return [
    `${timers.toLocaleString('en-US')} timers (half cleared before running):`,
    '',
    '| clock | set | clear | fire | fired | in order |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...rows.map(
      (r) =>
        `| ${r.clock} | ${fmt(r.setNs)} | ${fmt(r.clearNs)} | ${fmt(r.fireNs)} | ${r.fired} | ${r.inOrder ? 'yes' : 'NO'} |`,
    ),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = process.argv.find((a) => a.startsWith('--timers='));
  const timers = arg === undefined ? 20_000 : Number(arg.slice('--timers='.length));
  if (!Number.isInteger(timers) || timers < 2) throw new Error('--timers: expected an integer >= 2');
  console.log(renderClockTable(timers, await compareClocks(timers)));
}
