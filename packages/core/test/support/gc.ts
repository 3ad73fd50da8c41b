/** Garbage collection on demand, for tests that check what a dropped object leaves reachable. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
/** Runs a full garbage collection. */
export const gc = runInNewContext('gc') as () => void;

/** Collects garbage until `done` holds (WeakRefs are only cleared after the current job). */
export async function collectUntil(done: () => boolean): Promise<boolean> {
  for (let i = 0; i < 20 && !done(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
  }
  return done();
}
