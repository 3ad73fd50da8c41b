/** Messages between the fleet benchmark's parent and its client processes (over the fork IPC channel). */

/** What one process plays in one run. */
export interface RunSpec {
  /** This process's index in the fleet (its API key is `fleet-<index>`, so the server can tell it apart). */
  readonly index: number;
  readonly baseUrl: string;
  /** Set for the shared strategy: the store's Redis. */
  readonly redisUrl?: string;
  /** The store's project (fresh per run, so runs never meet in Redis). */
  readonly project: string;
  readonly model: string;
  /** The rpm this process's adapter is configured with. */
  readonly rpm: number;
  /** Calls to issue, one every 1000 / rate ms from the start. */
  readonly calls: number;
  readonly rate: number;
  /** Offset of the first call after the start (ms), so that processes do not all fire in the same millisecond. */
  readonly offsetMs: number;
  readonly deadlineMs: number;
}

export type ToWorker =
  | { readonly type: 'prepare'; readonly spec: RunSpec }
  | { readonly type: 'go'; readonly startAt: number }
  | { readonly type: 'exit' };

/** One process's log of one run. */
export interface ProcessLog {
  readonly index: number;
  /** Per call: latency from its scheduled time to its settlement (ms). */
  readonly latencies: readonly number[];
  /** Per call: 1 when it succeeded. */
  readonly ok: readonly number[];
  /** Failures by reason (the error's code, or GeminiFailure kind). */
  readonly failures: Readonly<Record<string, number>>;
  /** When its last call settled (epoch ms). */
  readonly endedAt: number;
  /** Requests the adapter sent (its own count; the server's is authoritative). */
  readonly requests: number;
  /** Times the guarded store found Redis unavailable (should stay 0). */
  readonly storeUnavailable: number;
  /** The longest event-loop stall during the run (ms): how busy the machine was. */
  readonly loopDelayMaxMs: number;
}

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'prepared' }
  | { readonly type: 'result'; readonly log: ProcessLog }
  | { readonly type: 'error'; readonly message: string };
