/** The dependency under test, as the caller sees it: `await x()` of an already-settled async function. */

export const work = async (): Promise<number> => 1;

/** One preallocated error, so failure cases measure the policy rather than building a stack trace. */
export const failure = new Error('dependency failed');
export const fail = async (): Promise<never> => {
  throw failure;
};

/** Never settles until released: holds a bulkhead slot or a timeout open. */
export function parked(): { promise: Promise<number>; release: () => void } {
  let release: () => void = () => {};
  const promise = new Promise<number>((resolve) => {
    release = () => resolve(1);
  });
  return { promise, release };
}

/** Awaits a promise that should reject, swallowing the rejection (failure-path cases). */
export async function settle(pending: Promise<unknown>): Promise<void> {
  try {
    await pending;
  } catch {
    // expected
  }
}
