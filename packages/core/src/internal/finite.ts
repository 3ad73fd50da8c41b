/**
 * `value` when it is a finite number >= 0, else undefined: how a delay that came from elsewhere (an error's
 * `retryAfterMs`, a delay function's hint, a backoff's declared `maxDelay`) is read, so a bad one is no delay.
 */
export function asFiniteNonNegative(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
