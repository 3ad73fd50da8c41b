export { deadlineOf, deadlineSignal } from './deadline.js';
export { type TimeoutOptions, TimeoutPolicy, type TimeoutStrategy, timeout } from './timeout.js';
