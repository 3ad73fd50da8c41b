import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '@bulwark/core';

/**
 * One request/response pair with the waits a behaviour needs. Every wait ends early (with `false`) when the
 * client goes away or the server closes, and leaves no timer behind.
 */
export class Exchange {
  private gone = false;
  private readonly timers = new Set<TimerHandle>();
  private readonly waiters = new Set<(completed: boolean) => void>();

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    private readonly clock: Clock,
    onGone: (finished: boolean) => void,
  ) {
    res.on('close', () => {
      this.markGone();
      onGone(res.writableFinished);
    });
  }

  /** True once the client disconnected, the connection was reset, or the server is closing. */
  get closed(): boolean {
    return this.gone;
  }

  /** Waits `ms` on the server's clock (forever when undefined); false when the exchange closed first. */
  wait(ms: number | undefined): Promise<boolean> {
    if (this.gone) return Promise.resolve(false);
    if (ms === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      let handle: TimerHandle | undefined;
      const settle = (completed: boolean): void => {
        this.waiters.delete(settle);
        if (handle !== undefined) {
          this.timers.delete(handle);
          if (!completed) this.clock.clearTimer(handle);
        }
        resolve(completed);
      };
      this.waiters.add(settle);
      if (ms !== undefined) {
        handle = this.clock.setTimer(() => settle(true), ms);
        this.timers.add(handle);
      }
    });
  }

  /** Sends a complete response. */
  send(status: number, contentType: string, body: string): void {
    if (this.gone) return;
    this.res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    this.res.end(body);
  }

  sendJson(status: number, body: unknown): void {
    this.send(status, 'application/json; charset=UTF-8', JSON.stringify(body));
  }

  /** Sends the status line and headers now, leaving the body open. */
  startBody(status: number, contentType: string): void {
    if (this.gone) return;
    this.res.writeHead(status, { 'content-type': contentType });
    this.res.flushHeaders();
  }

  /** Writes a piece of the body; resolves once it was handed to the OS (false when the exchange closed). */
  write(text: string): Promise<boolean> {
    if (this.gone) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      this.res.write(text, () => resolve(!this.gone));
    });
  }

  end(text?: string): void {
    if (!this.gone) this.res.end(text);
  }

  /** Closes the connection after what was written so far, in the middle of the body (the client reads a cut). */
  drop(): void {
    const socket = this.req.socket;
    this.markGone();
    socket.end(() => socket.destroy());
  }

  /** Drops the connection with a TCP RST, as a crashed proxy would. */
  reset(): void {
    const socket = this.req.socket;
    this.markGone();
    if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
    else socket.destroy();
  }

  /** Ends the exchange from the server side (server closing): pending waits resolve false. */
  shutdown(): void {
    this.markGone();
    if (!this.res.writableFinished) this.req.socket.destroy();
  }

  private markGone(): void {
    if (this.gone) return;
    this.gone = true;
    for (const handle of this.timers) this.clock.clearTimer(handle);
    this.timers.clear();
    for (const settle of [...this.waiters]) settle(false);
  }
}
