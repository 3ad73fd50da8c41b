import type { Clock, TimerHandle } from '../clock.js';
import { TimeoutError } from '../errors.js';
import { DEADLINE } from '../internal/context.js';
import { clockOf, optionalSignal, optionsOf, requireFiniteNonNegative } from '../internal/validate.js';

/**
 * An AbortSignal that aborts with a TimeoutError `ms` from now and carries its deadline, so every Bulwark policy
 * it is passed to (`execute(fn, { signal })`) can plan around it: retry gives up instead of sleeping past it.
 * Like `AbortSignal.timeout`, but deadline-aware and on an injectable clock. Follows `parent` if given.
 *
 * Like `AbortSignal.timeout`, it is held by nothing once dropped: its timer holds it weakly, and a parent follows
 * its children through one listener in all, holding each weakly. A signal someone listens to (`addEventListener`,
 * `onabort`) is kept until it aborts, so the listener runs at the deadline. Per call, a long-lived parent costs
 * the same whether one or a million children followed it before.
 */
export function deadlineSignal(
  ms: number,
  options: { clock?: Clock; signal?: AbortSignal | null } = {},
): AbortSignal {
  requireFiniteNonNegative('ms', ms);
  const o = optionsOf(options);
  const clock = clockOf(o.clock);
  const parent = optionalSignal('signal', o.signal);
  const controller = new AbortController();
  const signal = controller.signal;
  const parentDeadline = (parent as { [DEADLINE]?: number } | undefined)?.[DEADLINE];
  const own = clock.now() + ms;
  (signal as { [DEADLINE]?: number })[DEADLINE] =
    parentDeadline === undefined ? own : Math.min(own, parentDeadline);
  if (parent?.aborted) {
    controller.abort(parent.reason);
    return signal;
  }
  const child = new Child(controller, clock);
  (signal as Tracked)[CHILD] = child;
  Object.setPrototypeOf(signal, trackingPrototype());
  const ref = new WeakRef<Tracked>(signal);
  const cleanup = child.cleanup;
  cleanup.ref = ref;
  // Unref'd: a deadline alone must not keep a finished process alive. The timer holds the signal weakly.
  cleanup.handle = clock.setTimer(
    () => {
      cleanup.handle = undefined;
      ref.deref()?.[CHILD]?.abort(new TimeoutError(ms));
    },
    ms,
    { unref: true },
  );
  if (parent !== undefined) ParentLink.of(parent).follow(child, ref);
  // No unregister token: a child that aborted leaves a cleanup with nothing left to do, and tokens would cost
  // the registry a table of its own.
  collector?.register(signal, cleanup);
  return signal;
}

/** The deadline (clock ms) a signal carries, if it was made by Bulwark. */
export function deadlineOf(signal: AbortSignal | undefined): number | undefined {
  const value = (signal as { [DEADLINE]?: unknown } | undefined)?.[DEADLINE];
  return typeof value === 'number' ? value : undefined;
}

const CHILD = /* @__PURE__ */ Symbol('bulwark.deadlineChild');

interface Tracked extends AbortSignal {
  [CHILD]?: Child;
}

/** What to undo when a child ends, by aborting or by being collected: it must not reference the signal. */
class Cleanup {
  handle: TimerHandle | undefined = undefined;
  ref: WeakRef<AbortSignal> | undefined = undefined;
  link: ParentLink | undefined = undefined;
  constructor(readonly clock: Clock) {}

  run(): void {
    if (this.handle !== undefined) {
      this.clock.clearTimer(this.handle);
      this.handle = undefined;
    }
    const link = this.link;
    if (link !== undefined) {
      this.link = undefined;
      link.forget(this.ref!);
    }
  }
}

/** One deadline signal's state, referenced only by the signal itself (and strongly while listened to). */
class Child {
  readonly cleanup: Cleanup;
  /** Its abort listeners ([listener, capture] pairs as EventTarget dedupes them), while it has not aborted. */
  listeners: Set<unknown> | undefined = undefined;
  captureListeners: Set<unknown> | undefined = undefined;
  handler: unknown = null;

  constructor(
    readonly controller: AbortController,
    clock: Clock,
  ) {
    this.cleanup = new Cleanup(clock);
  }

  /** Needs no guard: every step is idempotent (a controller aborts once), should it be called twice. */
  abort(reason: unknown): void {
    this.cleanup.run();
    LISTENED.delete(this);
    this.listeners = this.captureListeners = undefined;
    this.controller.abort(reason);
  }

  /** Records an abort listener added or removed; the signal is kept alive exactly while it has one. */
  listen(listener: unknown, capture: boolean, adding: boolean): void {
    if (this.controller.signal.aborted || listener === null || listener === undefined) return;
    if (adding) {
      if (capture) (this.captureListeners ??= new Set()).add(listener);
      else (this.listeners ??= new Set()).add(listener);
    } else if (capture) this.captureListeners?.delete(listener);
    else this.listeners?.delete(listener);
    this.hold();
  }

  /** Records the `onabort` handler. */
  handle(handler: unknown): void {
    if (this.controller.signal.aborted) return;
    this.handler = typeof handler === 'function' ? handler : null;
    this.hold();
  }

  private hold(): void {
    const listened =
      this.handler !== null || (this.listeners?.size ?? 0) > 0 || (this.captureListeners?.size ?? 0) > 0;
    if (listened) LISTENED.add(this);
    else LISTENED.delete(this);
  }
}

/** Deadline signals someone listens to, which must reach their deadline even if nothing else references them. */
const LISTENED = new Set<Child>();

/** Clears the timer and the parent's reference of a child that was collected before its deadline. */
const collector =
  typeof FinalizationRegistry === 'function'
    ? /* @__PURE__ */ new FinalizationRegistry<Cleanup>((cleanup) => cleanup.run())
    : undefined;

/** One listener on a parent, fanning its abort out to the children that follow it, each held weakly. */
class ParentLink {
  private readonly children = new Set<WeakRef<AbortSignal>>();

  private constructor(private readonly parent: AbortSignal) {}

  static of(parent: AbortSignal): ParentLink {
    let link = LINKS.get(parent);
    if (link === undefined) {
      link = new ParentLink(parent);
      LINKS.set(parent, link);
      parent.addEventListener('abort', link.onAbort, { once: true });
    }
    return link;
  }

  follow(child: Child, ref: WeakRef<AbortSignal>): void {
    this.children.add(ref);
    child.cleanup.link = this;
  }

  /** A child ended (aborted or collected): the last one takes the listener off the parent. */
  forget(ref: WeakRef<AbortSignal>): void {
    this.children.delete(ref);
    if (this.children.size === 0 && LINKS.get(this.parent) === this) {
      LINKS.delete(this.parent);
      this.parent.removeEventListener('abort', this.onAbort);
    }
  }

  private readonly onAbort = (): void => {
    LINKS.delete(this.parent);
    const reason = this.parent.reason;
    const children = [...this.children];
    this.children.clear();
    for (const ref of children) {
      const child = (ref.deref() as Tracked | undefined)?.[CHILD];
      if (child !== undefined) {
        child.cleanup.link = undefined;
        child.abort(reason);
      }
    }
  };
}

const LINKS = new WeakMap<AbortSignal, ParentLink>();

let tracking: object | undefined;
let settingHandler = false;

/**
 * The prototype of deadline signals: AbortSignal's, with listener bookkeeping in front (one shared object, so a
 * signal costs no closure for it). The signal is still an AbortSignal for every consumer (`instanceof`, fetch).
 */
function trackingPrototype(): object {
  if (tracking !== undefined) return tracking;
  const base = AbortSignal.prototype;
  const handler = Object.getOwnPropertyDescriptor(base, 'onabort');
  const properties: PropertyDescriptorMap = {
    addEventListener: {
      configurable: true,
      writable: true,
      value(this: Tracked, type: string, listener: unknown, options?: boolean | AddEventListenerOptions) {
        base.addEventListener.call(this, type, listener as EventListener, options);
        if (type === 'abort' && !settingHandler) this[CHILD]?.listen(listener, captureOf(options), true);
      },
    },
    removeEventListener: {
      configurable: true,
      writable: true,
      value(this: Tracked, type: string, listener: unknown, options?: boolean | EventListenerOptions) {
        base.removeEventListener.call(this, type, listener as EventListener, options);
        if (type === 'abort') this[CHILD]?.listen(listener, captureOf(options), false);
      },
    },
  };
  if (handler?.get !== undefined && handler.set !== undefined) {
    const { get, set } = handler;
    properties.onabort = {
      configurable: true,
      get(this: Tracked) {
        return get.call(this);
      },
      set(this: Tracked, value: unknown) {
        // Node's setter registers a wrapper through addEventListener, and keeps it when set to null: the handler
        // itself is what counts.
        settingHandler = true;
        try {
          set.call(this, value);
        } finally {
          settingHandler = false;
        }
        this[CHILD]?.handle(value);
      },
    };
  }
  tracking = Object.create(base, properties) as object;
  return tracking;
}

function captureOf(options: boolean | EventListenerOptions | undefined): boolean {
  return typeof options === 'boolean' ? options : options?.capture === true;
}
