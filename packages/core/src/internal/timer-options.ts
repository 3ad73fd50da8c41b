import type { TimerOptions } from '../clock.js';
import { optionalBoolean } from './validate.js';

const UNREF: TimerOptions = /* @__PURE__ */ Object.freeze({ unref: true });

/**
 * The timer options for a policy's `unref` option. By default (`undefined` / false) a timer that guards pending
 * work keeps the process alive, as a pending `setTimeout` would; `unref: true` lets the process exit without it.
 */
export function unrefOption(value: unknown): TimerOptions | undefined {
  return optionalBoolean('unref', value) === true ? UNREF : undefined;
}
