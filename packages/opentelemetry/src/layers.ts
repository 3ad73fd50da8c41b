import {
  AdaptiveConcurrencyPolicy,
  AdaptiveThrottlePolicy,
  type AnyPolicy,
  BulkheadPolicy,
  CircuitBreakerPolicy,
  FallbackPolicy,
  HedgePolicy,
  Pipeline,
  type PolicyEventName,
  RateLimitPolicy,
  RetryPolicy,
  TimeoutPolicy,
} from '@bulwark/core';

/** What a layer is, for the events it emits and the state it has to observe. */
export type LayerKind =
  | 'retry'
  | 'hedge'
  | 'timeout'
  | 'fallback'
  | 'breaker'
  | 'bulkhead'
  | 'rateLimit'
  | 'adaptiveThrottle'
  | 'adaptiveConcurrency'
  | 'custom';

/**
 * The events each kind emits besides `success` and `failure`. Only these are listened to: a listener on an event
 * a policy never emits would still move some policies off their fast path (they check whether anyone listens at
 * all). A custom policy may emit `rejected`.
 */
export const KIND_EVENTS: Readonly<Record<LayerKind, readonly PolicyEventName[]>> = {
  retry: ['retry', 'giveUp'],
  hedge: ['hedge'],
  timeout: ['timeout'],
  fallback: ['fallback'],
  breaker: ['stateChange', 'thresholdExceeded', 'rejected'],
  bulkhead: ['rejected', 'queued'],
  rateLimit: ['rejected', 'queued', 'paused'],
  adaptiveThrottle: ['rejected'],
  adaptiveConcurrency: ['rejected', 'queued', 'paused', 'limitChange'],
  custom: ['rejected'],
};

export function kindOf(policy: AnyPolicy): LayerKind {
  if (policy instanceof RetryPolicy) return 'retry';
  if (policy instanceof HedgePolicy) return 'hedge';
  if (policy instanceof TimeoutPolicy) return 'timeout';
  if (policy instanceof FallbackPolicy) return 'fallback';
  if (policy instanceof CircuitBreakerPolicy) return 'breaker';
  if (policy instanceof BulkheadPolicy) return 'bulkhead';
  if (policy instanceof RateLimitPolicy) return 'rateLimit';
  if (policy instanceof AdaptiveThrottlePolicy) return 'adaptiveThrottle';
  if (policy instanceof AdaptiveConcurrencyPolicy) return 'adaptiveConcurrency';
  return 'custom';
}

/** One layer of an instrumented policy and the roles it plays for the metrics. */
export interface Layer {
  readonly policy: AnyPolicy;
  readonly kind: LayerKind;
  /** Its place in the flattened list, outermost first: the same for every key of a keyed registry. */
  readonly index: number;
  /** The outermost layer: its outcomes are the executions'. */
  readonly outermost: boolean;
  /** The layer right inside the innermost retry or hedge: its outcomes are the attempts'. */
  readonly attempt: boolean;
}

/**
 * The layers of a policy, nested pipelines flattened, outermost first, with their roles. A policy that is not a
 * pipeline is one layer. Attempts are seen only where a layer sits inside a retry or a hedge.
 */
export function layersOf(policy: AnyPolicy): Layer[] {
  const flat: AnyPolicy[] = [];
  const walk = (p: AnyPolicy): void => {
    if (p instanceof Pipeline) for (const inner of p.policies as readonly AnyPolicy[]) walk(inner);
    else flat.push(p);
  };
  walk(policy);
  const kinds = flat.map(kindOf);
  let repeater = -1;
  kinds.forEach((kind, i) => {
    if (kind === 'retry' || kind === 'hedge') repeater = i;
  });
  return flat.map((p, i) => ({
    policy: p,
    kind: kinds[i]!,
    index: i,
    outermost: i === 0,
    attempt: repeater >= 0 && i === repeater + 1,
  }));
}
