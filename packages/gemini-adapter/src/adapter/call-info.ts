/** What the adapter did for one call: which model answered, after how many attempts and failovers. */
export interface ResilienceInfo {
  /** The model the caller asked for. */
  readonly requested: string;
  /** The model that answered (differs from `requested` after a failover). */
  readonly model: string;
  /** HTTP requests sent for this call, over every model. */
  readonly attempts: number;
  /** How many times the call moved on to the next model of its fallback list. */
  readonly failovers: number;
}

const INFOS = new WeakMap<object, ResilienceInfo>();

export function recordInfo(result: unknown, info: ResilienceInfo): void {
  if (typeof result === 'object' && result !== null) INFOS.set(result, info);
}

/**
 * What the adapter did to get `result`: a response of `generateContent` / `countTokens` / `embedContent`, or the
 * stream returned by `generateContentStream` (and each of its chunks). Undefined for anything else.
 */
export function resilienceInfo(result: unknown): ResilienceInfo | undefined {
  return typeof result === 'object' && result !== null ? INFOS.get(result) : undefined;
}
