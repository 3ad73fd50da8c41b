import type { GeminiFailure } from '../errors/failure.js';

/** The SDK functions of one client, bound, as they were before any wrapping: what one attempt calls. */
export interface ClientModels {
  /** `models.generateContent`. */
  readonly generateContent: (params: any) => Promise<any>;
  /** `models.generateContentStream`. */
  readonly generateContentStream: (params: any) => Promise<AsyncGenerator<any>>;
  /** `models.countTokens`, when the client has it. */
  readonly countTokens: ((params: any) => Promise<any>) | undefined;
  /** `models.embedContent`, when the client has it. */
  readonly embedContent: ((params: any) => Promise<any>) | undefined;
  /** `models.get` (a model's description and token limits), when the client has it. */
  readonly get: ((params: any) => Promise<any>) | undefined;
}

/** The SDK functions of `models`, bound, taken before the wrapper replaces them. */
export function clientModels(models: Record<string, unknown>): ClientModels {
  const bound = (name: string) =>
    typeof models[name] === 'function' ? (models[name] as (p: any) => Promise<any>).bind(models) : undefined;
  return {
    generateContent: bound('generateContent')!,
    generateContentStream: bound('generateContentStream') as ClientModels['generateContentStream'],
    countTokens: bound('countTokens'),
    embedContent: bound('embedContent'),
    get: bound('get'),
  };
}

/** What a pool target has done, as `resilienceOf(ai).targets()` reports it. */
export interface TargetStats {
  /** HTTP requests sent through this target's client. */
  readonly requests: number;
  /** Calls this target answered. */
  readonly succeeded: number;
  /** Requests that failed (any error the server or the network gave). */
  readonly failed: number;
}

/** One target's state as `resilienceOf(ai).targets()` reports it. */
export interface TargetState {
  /** Its name (see `PoolTarget.name`; `'default'` for a wrapped client without a project). */
  readonly name: string;
  /** Its project; undefined for a wrapped client without one. */
  readonly project: string | undefined;
  /** Why it is no longer used (its credentials were refused), or undefined while usable. */
  readonly unusable: GeminiFailure | undefined;
  /** Its counters. */
  readonly stats: TargetStats;
}

/**
 * One client of the pool: its SDK functions, its project (whose quota it spends) and what is known of its
 * credentials. The quota, pauses and breaker live with the project's model guards, not here.
 */
export class Target {
  /** The credentials were refused: never used again until `reinstate()`. */
  unusable: GeminiFailure | undefined;
  private readonly counters = { requests: 0, succeeded: 0, failed: 0 };

  constructor(
    /** Its unique name in the pool. */
    readonly name: string,
    /** The project whose quota it spends; undefined for a wrapped client without one. */
    readonly project: string | undefined,
    /** Its client's SDK functions, unwrapped. */
    readonly models: ClientModels,
    /** Its position in the pool: ties in load go to the earlier target. */
    readonly index: number,
  ) {}

  /** Counts a request sent through this target. */
  sent(): void {
    this.counters.requests++;
  }

  /** Counts a request that failed. */
  failedOnce(): void {
    this.counters.failed++;
  }

  /** Counts a call this target answered. */
  answered(): void {
    this.counters.succeeded++;
  }

  /** Makes a target whose credentials were refused usable again (after the key was fixed). */
  reinstate(): void {
    this.unusable = undefined;
  }

  /** A snapshot for `resilienceOf(ai).targets()`. */
  state(): TargetState {
    return { name: this.name, project: this.project, unusable: this.unusable, stats: { ...this.counters } };
  }
}
