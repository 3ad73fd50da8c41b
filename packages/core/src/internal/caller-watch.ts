import { type AbortListener, noop, removeListener } from './context.js';
import { SignalWatcher, throwDetached, unwatchSignal, watchSignal } from './signal-fanout.js';

const IDLE = 0;
const WATCHING = 1;
const OVER = 2;

/**
 * An execution's watch over its caller's signal: one entry in the signal's fan-out (see signal-fanout.ts), from
 * the first layer that needs it until the execution settles, fanning the abort out to the layers that subscribed.
 * Made only for an execution that has a signal.
 */
export class CallerWatch extends SignalWatcher {
  /** The layers listening for the caller's abort. */
  listeners: AbortListener[] | undefined = undefined;
  /** Rejects the execution's promise (see `finish`). */
  rejectRun: ((reason: unknown) => void) | undefined = undefined;
  state: typeof IDLE | typeof WATCHING | typeof OVER = IDLE;

  constructor(readonly signal: AbortSignal) {
    super();
  }

  subscribe(listener: AbortListener): () => void {
    // The execution has settled: nothing of it follows the caller any more.
    if (this.state === OVER) return noop;
    (this.listeners ??= []).push(listener);
    this.watch();
    return () => removeListener(this.listeners, listener);
  }

  finish<T>(run: Promise<T>): Promise<T> {
    const signal = this.signal;
    return new Promise<T>((resolve, reject) => {
      // Settling after the abort is a no-op; the handlers also keep a late rejection from going unhandled.
      run.then(
        (value) => {
          this.end();
          resolve(value);
        },
        (error: unknown) => {
          this.end();
          reject(error);
        },
      );
      if (signal.aborted) {
        this.end();
        reject(signal.reason);
        return;
      }
      this.rejectRun = reject;
      this.watch();
    });
  }

  /** The caller's signal aborted (called once, by the signal's fan-out). */
  callerAborted(reason: unknown): void {
    this.state = OVER;
    const listeners = this.listeners;
    const reject = this.rejectRun;
    this.listeners = undefined;
    this.rejectRun = undefined;
    if (listeners !== undefined) {
      for (const listener of listeners) {
        try {
          listener(reason);
        } catch (error) {
          throwDetached(error);
        }
      }
    }
    reject?.(reason);
  }

  private watch(): void {
    if (this.state === IDLE) {
      this.state = WATCHING;
      watchSignal(this.signal, this);
    }
  }

  /** The execution settled: it stops following the caller's signal, and so does everything in it. */
  private end(): void {
    if (this.state === WATCHING) unwatchSignal(this.signal, this);
    this.state = OVER;
    this.listeners = undefined;
    this.rejectRun = undefined;
  }
}
