import type { PolicyEventName, PolicyEvents, Unsubscribe } from './events.js';
import { invalid, optionalFunction, optionalSignal, optionsOf } from './internal/validate.js';

/**
 * Anything with Bulwark's `on(event, listener)` for event `K`: a policy, a pipeline, a keyed policy whose policies
 * emit it.
 */
export interface EventSource<K extends PolicyEventName> {
  /** Listens to an event; returns a function that removes the listener. */
  on(event: K, listener: (payload: PolicyEvents[K][0]) => void): Unsubscribe;
}

/**
 * `K`, kept out of type inference (TypeScript's `NoInfer`, spelled so that compilers before 5.4 read it too): the
 * event name alone decides `K`, and the source must then emit it.
 * @inline
 */
type Exactly<K> = [K][K extends unknown ? 0 : never];

/** Options of {@link nextEvent}; a bad value rejects with {@link InvalidOptionError} naming the option. */
export interface NextEventOptions<T> {
  /**
   * Stops waiting: the promise rejects promptly with the signal's reason and the listener is removed. Default:
   * none (the wait lasts until the event comes).
   */
  readonly signal?: AbortSignal | null | undefined;
  /**
   * Which payload counts: the promise resolves with the first payload it accepts. Default: the first event. If it
   * throws, the promise rejects with its error (and stops listening).
   */
  readonly filter?: (payload: T) => boolean;
}

/**
 * The next `event` of a policy (or pipeline, or keyed policy) as a promise of its payload, optionally the next one
 * `filter` accepts: `await nextEvent(breaker, 'stateChange', { filter: (e) => e.to === 'closed' })`. The listener
 * is removed once the promise settles, so waiting leaks nothing; an abort of `signal` rejects at once with the
 * signal's reason. Nothing keeps the process alive while it waits (an event comes from work that does).
 */
export function nextEvent<K extends PolicyEventName>(
  source: EventSource<Exactly<K>>,
  event: K,
  options?: NextEventOptions<PolicyEvents[K][0]>,
): Promise<PolicyEvents[K][0]> {
  let signal: AbortSignal | undefined;
  let filter: ((payload: PolicyEvents[K][0]) => boolean) | undefined;
  try {
    if (typeof (source as Partial<EventSource<K>> | null)?.on !== 'function') {
      throw invalid('source', 'a policy (something with on())', source);
    }
    const opts = optionsOf(options);
    signal = optionalSignal('signal', opts.signal);
    filter = optionalFunction('filter', opts.filter);
  } catch (error) {
    return Promise.reject(error);
  }
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (): void => {
      done = true;
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      finish();
      reject(signal!.reason);
    };
    const unsubscribe = source.on(event, (payload) => {
      if (done) return;
      let accepted: boolean;
      try {
        accepted = filter === undefined || filter(payload);
      } catch (error) {
        finish();
        reject(error);
        return;
      }
      if (!accepted) return;
      finish();
      resolve(payload);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
