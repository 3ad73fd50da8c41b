/** Assertions for the conformance suite: plain functions throwing `AssertionError`, with no runtime API. */

export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

export function ok(value: unknown, message = 'expected a truthy value'): asserts value {
  if (!value) throw new AssertionError(message);
}

/** `Object.is` equality. */
export function equal<T>(actual: T, expected: T, message?: string): void {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(
      `${message ? `${message}: ` : ''}expected ${show(expected)}, got ${show(actual)}`,
    );
  }
}

/** Structural equality of JSON-like values (arrays, plain objects, primitives). */
export function deepEqual(actual: unknown, expected: unknown, message?: string): void {
  if (show(actual) !== show(expected)) {
    throw new AssertionError(
      `${message ? `${message}: ` : ''}expected ${show(expected)}, got ${show(actual)}`,
    );
  }
}

/** Awaits `promise`, which must reject; returns the rejection for further checks. */
export async function rejects(promise: Promise<unknown>, message = 'expected a rejection'): Promise<unknown> {
  try {
    const value = await promise;
    throw new AssertionError(`${message}, but it resolved with ${show(value)}`);
  } catch (error) {
    if (error instanceof AssertionError) throw error;
    return error;
  }
}

/** Awaits `promise`, which must reject with an error `guard` accepts; returns it, typed. */
export async function rejectsWith<E>(
  promise: Promise<unknown>,
  guard: (value: unknown) => value is E,
  what: string,
): Promise<E> {
  const error = await rejects(promise, `expected a rejection with ${what}`);
  if (!guard(error)) throw new AssertionError(`expected ${what}, got ${describe(error)}`);
  return error;
}

/** Awaits `promise`, which must reject with exactly `expected` (the same object). */
export async function rejectsWithValue(promise: Promise<unknown>, expected: unknown): Promise<void> {
  const error = await rejects(promise, `expected a rejection with ${describe(expected)}`);
  if (error !== expected)
    throw new AssertionError(`expected a rejection with ${describe(expected)}, got ${describe(error)}`);
}

/** True while `promise` has not settled (checked after the current microtasks ran). */
export async function isPending(promise: Promise<unknown>): Promise<boolean> {
  const marker = {};
  const first = await Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    Promise.resolve(marker),
  ]);
  return first === marker;
}

function describe(value: unknown): string {
  return value instanceof Error ? `${value.name}: ${value.message}` : show(value);
}

function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
