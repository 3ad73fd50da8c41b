import type { PolicyEventName, PolicyEvents, Unsubscribe } from './events.js';
import { InvalidOptionError } from './errors.js';
import type { Ctx } from './internal/context.js';
import { RootContext } from './internal/root-context.js';
import { type Holders, isSlotHolder, NO_HOLDERS, type SlotHolder } from './internal/slot-holders.js';
import {
  type AnyPolicy,
  callTask,
  type ExecuteOptions,
  type Next,
  type Policy,
  type PolicyTypes,
  RUN,
  startExecution,
  type Task,
} from './policy.js';
import { describe } from './internal/validate.js';

/**
 * What a policy may return instead of the function's result.
 * @inline
 */
type OutOf<P> = P extends { readonly __types: { readonly out: infer O } } ? O : never;
/**
 * The events a policy emits.
 * @inline
 */
type EventsOf<P> = P extends { readonly __types: { readonly events: infer E } } ? E : never;

/** What a whole pipeline may return instead of the function's result, and the events its layers emit. */
export type PipelineOut<P extends readonly AnyPolicy[]> = OutOf<P[number]>;
/** The union of the events the layers emit: what `on` accepts. */
export type PipelineEvents<P extends readonly AnyPolicy[]> = EventsOf<P[number]>;

/** Policies composed outermost first. A pipeline is itself a policy, so pipelines nest. */
export class Pipeline<P extends readonly AnyPolicy[]> implements Policy<PipelineOut<P>, PipelineEvents<P>> {
  /** Always `'pipeline'`; each layer keeps its own name in its events. */
  readonly name = 'pipeline';
  declare readonly __types: PolicyTypes<PipelineOut<P>, PipelineEvents<P>>;
  /** The layers, outermost first. */
  declare readonly policies: P;
  /** Runs the layers from `index` inward; built once here so a call allocates no closures. */
  declare private readonly entry: (context: Ctx) => Promise<unknown>;
  /** @internal The slot holders among the layers (nested pipelines' included), outermost first. */
  declare readonly holders: Holders;
  /**
   * Compositions made when nested in another pipeline (or run by a keyed registry), by the layer after it and the
   * holders around it; weak both ways, so an evicted key's holders do not stay reachable from a shared pipeline.
   */
  private nested: WeakMap<Next, WeakMap<Holders, Next>> | undefined;

  constructor(policies: P) {
    for (const [i, policy] of policies.entries()) {
      if (typeof (policy as Partial<AnyPolicy>)?.[RUN] !== 'function') {
        throw new InvalidOptionError(
          `policies[${i}]`,
          `pipeline(): expected a Bulwark policy, got ${describe(policy)}`,
        );
      }
    }
    this.policies = Object.freeze([...policies]) as unknown as P;
    this.holders = Object.freeze(this.policies.flatMap(holdersWithin));
    const first = compose(this.policies, callTask, NO_HOLDERS);
    this.entry = (context) => {
      try {
        return Promise.resolve(first(context));
      } catch (error) {
        return Promise.reject(error);
      }
    };
  }

  /**
   * Runs `fn` through every layer, outermost first. Never throws synchronously: a bad argument rejects with {@link
   * InvalidOptionError}, an abort of `options.signal` with the signal's reason.
   */
  execute<R>(fn: Task<R>, options?: ExecuteOptions): Promise<R | PipelineOut<P>> {
    const context = startExecution(fn, options);
    if (!(context instanceof RootContext)) return Promise.reject(context);
    if (context.aborted) return Promise.reject(context.reason);
    return context.finish(this.entry(context) as Promise<R | PipelineOut<P>>);
  }

  /** Listens to `event` on every layer (nested pipelines included); the payload's `policy` names the layer. */
  on<K extends PipelineEvents<P>>(event: K, listener: (...args: PolicyEvents[K]) => void): Unsubscribe {
    const removers = this.policies.map((policy) => policy.on(event as PolicyEventName, listener as never));
    return () => {
      for (const remove of removers) remove();
    };
  }

  [RUN](context: Ctx, next: Next, holders: Holders = NO_HOLDERS): Promise<unknown> {
    if (next === callTask && holders.length === 0) return this.entry(context);
    // Nested inside another pipeline (or a keyed registry's entry): composed once per place it is nested in (the
    // layer after it and the holders around it are fixed by that place).
    this.nested ??= new WeakMap();
    let byHolders = this.nested.get(next);
    if (byHolders === undefined) {
      byHolders = new WeakMap();
      this.nested.set(next, byHolders);
    }
    let first = byHolders.get(holders);
    if (first === undefined) {
      first = compose(this.policies, next, holders);
      byHolders.set(holders, first);
    }
    return Promise.resolve(first(context));
  }
}

/** The slot holders a layer contributes to the layers inside it: itself, or a nested pipeline's holders. */
function holdersWithin(layer: AnyPolicy): SlotHolder[] {
  if (layer instanceof Pipeline) return [...(layer.holders as SlotHolder[])];
  return isSlotHolder(layer) ? [layer] : [];
}

/**
 * Chains `policies` (outermost first) around `last`, inside the slot holders `around`. Each layer's run method is
 * read once here: reading `layer[RUN]` per call is a megamorphic lookup (every layer has another class) that the
 * hot path would pay once per layer. So is the list of slot holders enclosing each layer, passed to it as is.
 */
function compose(policies: readonly AnyPolicy[], last: Next, around: Holders): Next {
  const enclosing: Holders[] = [];
  let holders = around;
  for (const layer of policies) {
    enclosing.push(holders);
    const more = holdersWithin(layer);
    if (more.length > 0) holders = Object.freeze([...holders, ...more]);
  }
  let next = last;
  for (let i = policies.length - 1; i >= 0; i--) {
    const layer = policies[i]!;
    const run = layer[RUN];
    const inner = next;
    const outer = enclosing[i]!;
    next = (context) => run.call(layer, context, inner, outer);
  }
  return next;
}

/**
 * Composes policies, first = outermost: `pipeline(retry(), timeout(1000))` gives each attempt its own timeout.
 * @throws {@link InvalidOptionError} when an argument is not a policy.
 */
export function pipeline<const P extends readonly AnyPolicy[]>(...policies: P): Pipeline<P> {
  return new Pipeline(policies);
}
