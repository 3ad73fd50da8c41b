/**
 * The fan-out behind every execution's watch of its caller's signal: whatever the interleaving of watchers
 * joining, leaving and signals aborting, each signal holds one listener exactly while watched, and a watcher hears
 * an abort exactly when it was watching that signal then.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SignalWatcher, unwatchSignal, watchSignal } from '../../src/internal/signal-fanout.js';
import { abortListeners } from '../support/helpers.js';

class Probe extends SignalWatcher {
  heard: unknown[] = [];
  callerAborted(reason: unknown): void {
    this.heard.push(reason);
  }
}

type Op = { kind: 'watch' | 'unwatch'; watcher: number; signal: number } | { kind: 'abort'; signal: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('watch' as const, 'unwatch' as const),
    watcher: fc.nat(7),
    signal: fc.nat(2),
  }),
  fc.record({ kind: fc.constant('abort' as const), signal: fc.nat(2) }),
);

describe('signal fan-out', () => {
  it('one listener per watched signal, and every watcher of an aborting signal hears it once', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const controllers = [0, 1, 2].map(() => new AbortController());
        const probes = Array.from({ length: 8 }, () => new Probe());
        // Model: which signal each watcher watches (a watcher watches one signal at a time, as an execution does).
        const watching = new Map<number, number>();
        const expected = probes.map(() => [] as unknown[]);
        for (const op of ops) {
          if (op.kind === 'watch') {
            if (watching.has(op.watcher) || controllers[op.signal]!.signal.aborted) continue;
            watchSignal(controllers[op.signal]!.signal, probes[op.watcher]!);
            watching.set(op.watcher, op.signal);
          } else if (op.kind === 'unwatch') {
            const signal = watching.get(op.watcher);
            if (signal === undefined) continue;
            unwatchSignal(controllers[signal]!.signal, probes[op.watcher]!);
            watching.delete(op.watcher);
          } else {
            const controller = controllers[op.signal]!;
            if (controller.signal.aborted) continue;
            const reason = `abort ${op.signal}`;
            for (const [watcher, signal] of [...watching]) {
              if (signal === op.signal) {
                expected[watcher]!.push(reason);
                watching.delete(watcher);
              }
            }
            controller.abort(reason);
          }
          for (const [i, c] of controllers.entries()) {
            const watched = [...watching.values()].includes(i);
            expect(abortListeners(c.signal)).toBe(watched ? 1 : 0);
          }
        }
        for (const [i, probe] of probes.entries()) expect(probe.heard).toEqual(expected[i]);
        // Leave nothing watched for the next run.
        for (const [watcher, signal] of watching)
          unwatchSignal(controllers[signal]!.signal, probes[watcher]!);
        for (const c of controllers) expect(abortListeners(c.signal)).toBe(0);
      }),
    );
  });
});
