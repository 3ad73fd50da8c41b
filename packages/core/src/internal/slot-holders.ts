import type { Ctx } from './context.js';

/** The method by which a layer that holds capacity for the work below it learns about work left running. */
export const HOLD: unique symbol = /* @__PURE__ */ Symbol('bulwark.hold');

/**
 * A layer that holds capacity for the work running below it: a bulkhead slot, a half-open probe slot, an adaptive
 * concurrency slot. Such capacity stands for work really in progress, so it must not be freed while work the layer
 * admitted still runs, even after a layer below released its caller (an aggressive timeout expired, the caller
 * aborted, a hedged attempt lost).
 */
export interface SlotHolder {
  /**
   * Keeps one unit of capacity taken until `work` settles: `work` runs under `context` (a context this holder
   * passed down, or one below it) and outlived its caller. Never throws; must observe `work`'s rejection.
   */
  [HOLD](work: Promise<unknown>, context: Ctx): void;
}

/**
 * The slot holders enclosing a layer in one composition, outermost first. A pipeline computes them once per layer
 * when it composes, so a layer releasing its caller early can tell them about the work it leaves running, while
 * the success path costs nothing: no allocation, no per-call registration.
 */
export type Holders = readonly SlotHolder[];

export const NO_HOLDERS: Holders = /* @__PURE__ */ Object.freeze([]);

export function isSlotHolder(value: unknown): value is SlotHolder {
  return typeof (value as Partial<SlotHolder> | null)?.[HOLD] === 'function';
}

/**
 * Called by a layer that answers its caller before the work it started below has settled (an aggressive timeout
 * that expired, a probe whose caller aborted, a hedge's losing attempts): every enclosing slot holder keeps one
 * unit of capacity for `work` until it settles. `context` is the context the layer received. Rare path only.
 */
export function leaveBehind(work: Promise<unknown>, context: Ctx, holders: Holders): void {
  for (let i = 0; i < holders.length; i++) holders[i]![HOLD](work, context);
}
