import type { Clock } from './clock.js';
import { InvalidOptionError } from './errors.js';
import type { PolicyEventName } from './events.js';
import type { PolicyContext } from './internal/context.js';
import { clockOf, requireFunction, requireNonEmptyString, requireOptions } from './internal/validate.js';
import { type Next, PolicyBase, RUN } from './policy.js';

/** The events every policy made by `definePolicy` emits by itself. */
export type CustomPolicyEvents = 'success' | 'failure';

/**
 * A policy written as one function: see `definePolicy`. `Events` names the events `run` emits itself through
 * `policy.events` (e.g. `'rejected'`); `success` and `failure` are always among the policy's events.
 */
export interface PolicyDefinition<Out = never, Events extends PolicyEventName = CustomPolicyEvents> {
  /** The policy's name: the `policy` of every event it emits, so that a pipeline's listener can tell it apart. */
  readonly name: string;
  /**
   * Runs one pass through this layer: `next(context)` runs the layers inside, then the function, and its outcome
   * is what this layer answers unless it answers otherwise (a value of type `Out`, an error of its own). Called as
   * a method of the definition; `policy` is the policy made from it, for its `events`.
   *
   * To keep the guarantees of the built-in layers: pass on the `context` received; once it has aborted
   * (`context.aborted`, `context.subscribe`), stop waiting and answer `context.reason`; read `context.deadline`
   * before starting anything that would end after it.
   */
  run(context: PolicyContext, next: Next, policy: CustomPolicy<Out, Events>): unknown;
  /** The clock that times the `success` and `failure` events. Default: the real clock. */
  readonly clock?: Clock;
}

/**
 * A policy made by `definePolicy`. It composes in `pipeline()` and `keyedPolicy()` like the built-in ones, and
 * emits `success` and `failure` (with their duration) when listened to; `run` may emit more through
 * `policy.events`.
 */
export class CustomPolicy<
  Out = never,
  Events extends PolicyEventName = CustomPolicyEvents,
> extends PolicyBase<Out, Events | CustomPolicyEvents> {
  declare private readonly definition: PolicyDefinition<Out, Events>;
  declare private readonly runLayer: PolicyDefinition<Out, Events>['run'];
  declare private readonly clock: Clock;

  constructor(definition: PolicyDefinition<Out, Events>) {
    const d = requireOptions(definition, 'name and run');
    super(requireNonEmptyString('name', d.name));
    this.runLayer = requireFunction('run', d.run);
    this.clock = clockOf(d.clock);
    this.definition = d;
  }

  [RUN](context: PolicyContext, next: Next): Promise<unknown> {
    if (this.listens('success') || this.listens('failure')) {
      return this.runReported(context, (inner) => this.runOnce(inner, next), this.clock, this.clock.now());
    }
    try {
      return Promise.resolve(this.runOnce(context, next));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private runOnce(context: PolicyContext, next: Next): unknown {
    return this.runLayer.call(this.definition, context, next, this);
  }
}

/**
 * A policy from one function, for what the built-in policies do not do: `definePolicy({ name: 'timing', async
 * run(context, next) { ... return await next(context); } })`. For a policy that holds capacity (a slot holder) or
 * answers before its work settles, extend `PolicyBase` instead (docs/architecture.md, "Writing a policy").
 * @throws {@link InvalidOptionError} naming the option, for an invalid option (at construction, never later).
 */
export function definePolicy<Out = never, Events extends PolicyEventName = CustomPolicyEvents>(
  definition: PolicyDefinition<Out, Events>,
): CustomPolicy<Out, Events> {
  return new CustomPolicy(definition);
}
