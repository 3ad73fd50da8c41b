/**
 * Every factory validates its options at construction: a bad value throws InvalidOptionError naming the option,
 * never a raw TypeError later (or a silent fallback to a default). One table per factory: the option, how to
 * build the factory with a value for it, and the values it must refuse.
 */
import { describe, expect, it } from 'vitest';
import {
  adaptiveConcurrency,
  adaptiveThrottle,
  bulkhead,
  circuitBreaker,
  consecutive,
  constant,
  countWindow,
  exponential,
  fallback,
  hedge,
  isInvalidOptionError,
  keyedPolicy,
  linear,
  memoryStore,
  rateLimit,
  retry,
  retryBudget,
  slidingWindow,
  smooth,
  timeout,
  timeWindow,
  tokenBucket,
  withCost,
} from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';

type Build = (value: any) => unknown;

interface Row {
  /** The factory, for the test name. */
  readonly factory: string;
  /** The option the error must name. */
  readonly option: string;
  readonly build: Build;
  readonly bad: readonly unknown[];
}

/** Values that are not an options object. */
const NOT_OBJECT = [null, 0, 'options', true, [], () => ({})];
/** A required options argument: also refuse omitting it. */
const MISSING_OR_NOT_OBJECT = [undefined, ...NOT_OBJECT];
const NOT_FUNCTION = [null, 5, 'fn', {}];
const NOT_CLOCK = [
  null,
  5,
  'clock',
  {},
  { now: () => 0 },
  { now: () => 0, setTimer: () => 0 },
  { now: 0, setTimer: () => 0, clearTimer: () => {} },
];
const NOT_GATE = [null, 5, {}, { tryAcquireRetry: () => true }, { recordAttempt: () => {} }];
const NOT_NAME = [null, 5, {}];
const NOT_RANDOM = [null, 0.5, 'random', {}];
const NOT_FINITE_NON_NEGATIVE = [null, -1, Number.NaN, Number.POSITIVE_INFINITY, '100', {}];
const NOT_POSITIVE = [null, 0, -1, Number.NaN, '100', {}];
const NOT_RATIO = [null, -0.1, 1.5, Number.NaN, '0.5'];
const NOT_STRATEGY_RATIO = [null, 0, 1.5, Number.NaN, '0.5'];

const clock = new VirtualClock();
const limit = tokenBucket({ rate: 10 });

/** Rows for the options shared by most policies. */
function common(factory: string, build: (extra: Record<string, unknown>) => unknown, named = true): Row[] {
  const rows: Row[] = [{ factory, option: 'clock', build: (v) => build({ clock: v }), bad: NOT_CLOCK }];
  if (named) rows.push({ factory, option: 'name', build: (v) => build({ name: v }), bad: NOT_NAME });
  return rows;
}

const rows: Row[] = [
  // retry
  { factory: 'retry', option: 'options', build: (v) => retry(v), bad: NOT_OBJECT },
  {
    factory: 'retry',
    option: 'maxAttempts',
    build: (v) => retry({ maxAttempts: v }),
    bad: [null, 0, -1, 1.5, Number.NaN, '3', {}],
  },
  {
    factory: 'retry',
    option: 'backoff',
    build: (v) => retry({ backoff: v }),
    bad: [null, 5, 'exponential', {}, { start: 5 }],
  },
  { factory: 'retry', option: 'handle', build: (v) => retry({ handle: v }), bad: NOT_FUNCTION },
  { factory: 'retry', option: 'handleResult', build: (v) => retry({ handleResult: v }), bad: NOT_FUNCTION },
  { factory: 'retry', option: 'delayHint', build: (v) => retry({ delayHint: v }), bad: NOT_FUNCTION },
  {
    factory: 'retry',
    option: 'maxDelay',
    build: (v) => retry({ maxDelay: v }),
    bad: NOT_FINITE_NON_NEGATIVE,
  },
  { factory: 'retry', option: 'budget', build: (v) => retry({ budget: v }), bad: NOT_GATE },
  { factory: 'retry', option: 'random', build: (v) => retry({ random: v }), bad: NOT_RANDOM },
  ...common('retry', (extra) => retry(extra)),

  // timeout
  { factory: 'timeout', option: 'timeout', build: (v) => timeout(v), bad: NOT_POSITIVE },
  { factory: 'timeout', option: 'options', build: (v) => timeout(100, v), bad: NOT_OBJECT },
  {
    factory: 'timeout',
    option: 'strategy',
    build: (v) => timeout(100, { strategy: v }),
    bad: [null, 'fast', 5],
  },
  {
    factory: 'timeout',
    option: 'resolution',
    build: (v) => timeout(100, { resolution: v }),
    bad: [null, -1, Number.NaN, Number.POSITIVE_INFINITY, '1'],
  },
  ...common('timeout', (extra) => timeout(100, extra)),

  // fallback
  { factory: 'fallback', option: 'options', build: (v) => fallback(v), bad: MISSING_OR_NOT_OBJECT },
  {
    factory: 'fallback',
    option: 'fallback',
    build: (v) => fallback({ fallback: v }),
    bad: [undefined, ...NOT_FUNCTION],
  },
  {
    factory: 'fallback',
    option: 'handle',
    build: (v) => fallback({ fallback: () => 1, handle: v }),
    bad: NOT_FUNCTION,
  },
  {
    factory: 'fallback',
    option: 'handleResult',
    build: (v) => fallback({ fallback: () => 1, handleResult: v }),
    bad: NOT_FUNCTION,
  },
  ...common('fallback', (extra) => fallback({ fallback: () => 1, ...extra })),

  // circuitBreaker and its strategies
  { factory: 'circuitBreaker', option: 'options', build: (v) => circuitBreaker(v), bad: NOT_OBJECT },
  {
    factory: 'circuitBreaker',
    option: 'strategy',
    build: (v) => circuitBreaker({ strategy: v }),
    bad: [null, 5, 'consecutive', {}],
  },
  {
    factory: 'circuitBreaker',
    option: 'halfOpenAfter',
    build: (v) => circuitBreaker({ halfOpenAfter: v }),
    bad: [...NOT_FINITE_NON_NEGATIVE, { start: () => ({ next: () => 1 }) }],
  },
  {
    factory: 'circuitBreaker',
    option: 'halfOpenProbes',
    build: (v) => circuitBreaker({ halfOpenProbes: v }),
    bad: [null, 0, 1.5, Number.NaN, '1'],
  },
  ...(['handle', 'handleResult', 'deferResult'] as const).map(
    (option): Row => ({
      factory: 'circuitBreaker',
      option,
      build: (v) => circuitBreaker({ [option]: v }),
      bad: NOT_FUNCTION,
    }),
  ),
  {
    factory: 'circuitBreaker',
    option: 'slowCallDuration',
    build: (v) => circuitBreaker({ slowCallDuration: v }),
    bad: NOT_POSITIVE,
  },
  {
    factory: 'circuitBreaker',
    option: 'slowCallRatio',
    build: (v) => circuitBreaker({ strategy: countWindow(), slowCallDuration: 100, slowCallRatio: v }),
    bad: NOT_STRATEGY_RATIO,
  },
  {
    factory: 'circuitBreaker',
    option: 'initialState',
    build: (v) => circuitBreaker({ initialState: v }),
    bad: [null, 5, {}, 'closed'],
  },
  ...common('circuitBreaker', (extra) => circuitBreaker(extra)),
  {
    factory: 'consecutive',
    option: 'threshold',
    build: (v) => consecutive(v),
    bad: [null, 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '5'],
  },
  { factory: 'countWindow', option: 'options', build: (v) => countWindow(v), bad: NOT_OBJECT },
  {
    factory: 'countWindow',
    option: 'size',
    build: (v) => countWindow({ size: v }),
    bad: [null, 0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2e6],
  },
  {
    factory: 'countWindow',
    option: 'failureRatio',
    build: (v) => countWindow({ failureRatio: v }),
    bad: NOT_STRATEGY_RATIO,
  },
  {
    factory: 'countWindow',
    option: 'minimumCalls',
    build: (v) => countWindow({ minimumCalls: v }),
    bad: [null, 0, 1.5, 1000],
  },
  { factory: 'timeWindow', option: 'options', build: (v) => timeWindow(v), bad: NOT_OBJECT },
  {
    factory: 'timeWindow',
    option: 'duration',
    build: (v) => timeWindow({ duration: v }),
    bad: [...NOT_POSITIVE, Number.POSITIVE_INFINITY],
  },
  {
    factory: 'timeWindow',
    option: 'failureRatio',
    build: (v) => timeWindow({ failureRatio: v }),
    bad: NOT_STRATEGY_RATIO,
  },
  {
    factory: 'timeWindow',
    option: 'minimumCalls',
    build: (v) => timeWindow({ minimumCalls: v }),
    bad: [null, 0, 1.5],
  },
  {
    factory: 'timeWindow',
    option: 'buckets',
    build: (v) => timeWindow({ buckets: v }),
    bad: [null, 0, 1.5, 1001],
  },

  // bulkhead
  { factory: 'bulkhead', option: 'options', build: (v) => bulkhead(v), bad: MISSING_OR_NOT_OBJECT },
  {
    factory: 'bulkhead',
    option: 'maxConcurrent',
    build: (v) => bulkhead({ maxConcurrent: v }),
    bad: [undefined, null, 0, -1, 1.5, Number.NaN, '1'],
  },
  {
    factory: 'bulkhead',
    option: 'maxQueue',
    build: (v) => bulkhead({ maxConcurrent: 1, maxQueue: v }),
    bad: [null, -1, 1.5, Number.NaN, '1'],
  },
  {
    factory: 'bulkhead',
    option: 'queueTimeout',
    build: (v) => bulkhead({ maxConcurrent: 1, queueTimeout: v }),
    bad: NOT_POSITIVE,
  },
  ...common('bulkhead', (extra) => bulkhead({ maxConcurrent: 1, ...extra })),

  // rateLimit and its limits
  { factory: 'rateLimit', option: 'options', build: (v) => rateLimit(v), bad: MISSING_OR_NOT_OBJECT },
  {
    factory: 'rateLimit',
    option: 'limits',
    build: (v) => rateLimit({ limits: v }),
    bad: [undefined, null, []],
  },
  {
    factory: 'rateLimit',
    option: 'limits[0]',
    build: (v) => rateLimit({ limits: [v] }),
    bad: [null, 5, 'limit', {}],
  },
  {
    factory: 'rateLimit',
    option: 'mode',
    build: (v) => rateLimit({ limits: limit, mode: v }),
    bad: [null, 'fast', 5],
  },
  {
    factory: 'rateLimit',
    option: 'maxWait',
    build: (v) => rateLimit({ limits: limit, maxWait: v }),
    bad: [null, -1, Number.NaN, '1'],
  },
  {
    factory: 'rateLimit',
    option: 'cost',
    build: (v) => rateLimit({ limits: limit, cost: v }),
    bad: [null, -1, Number.NaN, Number.POSITIVE_INFINITY, '1'],
  },
  {
    factory: 'rateLimit',
    option: 'key',
    build: (v) => rateLimit({ limits: limit, key: v }),
    bad: [null, 5, {}],
  },
  {
    factory: 'rateLimit',
    option: 'store',
    build: (v) => rateLimit({ limits: limit, store: v }),
    bad: [null, 5, {}, { acquire: () => 0 }],
  },
  ...common('rateLimit', (extra) => rateLimit({ limits: limit, ...extra })),
  ...(
    [
      ['tokenBucket', (o: any) => tokenBucket(o), { rate: 1 }, ['rate', 'per', 'capacity']],
      ['smooth', (o: any) => smooth(o), { rate: 1 }, ['rate', 'per', 'burst']],
      ['slidingWindow', (o: any) => slidingWindow(o), { limit: 1, window: 1000 }, ['limit', 'window']],
    ] as const
  ).flatMap(([factory, make, valid, numbers]): Row[] => [
    { factory, option: 'options', build: (v) => make(v), bad: MISSING_OR_NOT_OBJECT },
    ...numbers.map(
      (option): Row => ({
        factory,
        option,
        build: (v) => make({ ...valid, [option]: v }),
        bad: [...NOT_POSITIVE, Number.POSITIVE_INFINITY],
      }),
    ),
    { factory, option: 'unit', build: (v) => make({ ...valid, unit: v }), bad: [null, '', 5] },
    { factory, option: 'name', build: (v) => make({ ...valid, name: v }), bad: NOT_NAME },
  ]),
  {
    factory: 'slidingWindow',
    option: 'segments',
    build: (v) => slidingWindow({ limit: 1, window: 1000, segments: v }),
    bad: [null, 0, 1.5, 1001],
  },
  { factory: 'memoryStore', option: 'options', build: (v) => memoryStore(v), bad: NOT_OBJECT },
  {
    factory: 'memoryStore',
    option: 'maxKeys',
    build: (v) => memoryStore({ maxKeys: v }),
    bad: [null, 0, 1.5, Number.NaN],
  },
  {
    factory: 'withCost',
    option: 'cost',
    build: (v) => withCost(() => 1, v),
    bad: [null, -1, Number.NaN, '1'],
  },
  { factory: 'withCost', option: 'options', build: (v) => withCost(() => 1, 1, v), bad: NOT_OBJECT },
  {
    factory: 'withCost',
    option: 'key',
    build: (v) => withCost(() => 1, 1, { key: v }),
    bad: [null, 5, {}],
  },

  // hedge
  { factory: 'hedge', option: 'options', build: (v) => hedge(v), bad: MISSING_OR_NOT_OBJECT },
  {
    factory: 'hedge',
    option: 'delay',
    build: (v) => hedge({ delay: v }),
    bad: [undefined, null, -1, Number.NaN, '10', {}],
  },
  {
    factory: 'hedge',
    option: 'maxHedges',
    build: (v) => hedge({ delay: 10, maxHedges: v }),
    bad: [null, -1, 1.5, Number.NaN, '1'],
  },
  { factory: 'hedge', option: 'handle', build: (v) => hedge({ delay: 10, handle: v }), bad: NOT_FUNCTION },
  { factory: 'hedge', option: 'budget', build: (v) => hedge({ delay: 10, budget: v }), bad: NOT_GATE },
  ...common('hedge', (extra) => hedge({ delay: 10, ...extra })),

  // retryBudget
  { factory: 'retryBudget', option: 'options', build: (v) => retryBudget(v), bad: NOT_OBJECT },
  { factory: 'retryBudget', option: 'ratio', build: (v) => retryBudget({ ratio: v }), bad: NOT_RATIO },
  {
    factory: 'retryBudget',
    option: 'minRetriesPerSecond',
    build: (v) => retryBudget({ minRetriesPerSecond: v }),
    bad: NOT_FINITE_NON_NEGATIVE,
  },
  {
    factory: 'retryBudget',
    option: 'window',
    build: (v) => retryBudget({ window: v }),
    bad: [...NOT_POSITIVE, Number.POSITIVE_INFINITY],
  },
  {
    factory: 'retryBudget',
    option: 'buckets',
    build: (v) => retryBudget({ buckets: v }),
    bad: [null, 0, 1.5, 1001],
  },
  ...common('retryBudget', (extra) => retryBudget(extra), false),

  // adaptiveThrottle
  { factory: 'adaptiveThrottle', option: 'options', build: (v) => adaptiveThrottle(v), bad: NOT_OBJECT },
  {
    factory: 'adaptiveThrottle',
    option: 'k',
    build: (v) => adaptiveThrottle({ k: v }),
    bad: [null, 0.5, Number.NaN, Number.POSITIVE_INFINITY, '2'],
  },
  {
    factory: 'adaptiveThrottle',
    option: 'window',
    build: (v) => adaptiveThrottle({ window: v }),
    bad: [...NOT_POSITIVE, Number.POSITIVE_INFINITY],
  },
  {
    factory: 'adaptiveThrottle',
    option: 'buckets',
    build: (v) => adaptiveThrottle({ buckets: v }),
    bad: [null, 0, 1001],
  },
  {
    factory: 'adaptiveThrottle',
    option: 'handle',
    build: (v) => adaptiveThrottle({ handle: v }),
    bad: NOT_FUNCTION,
  },
  {
    factory: 'adaptiveThrottle',
    option: 'random',
    build: (v) => adaptiveThrottle({ random: v }),
    bad: NOT_RANDOM,
  },
  ...common('adaptiveThrottle', (extra) => adaptiveThrottle(extra)),

  // adaptiveConcurrency
  {
    factory: 'adaptiveConcurrency',
    option: 'options',
    build: (v) => adaptiveConcurrency(v),
    bad: NOT_OBJECT,
  },
  {
    factory: 'adaptiveConcurrency',
    option: 'initialLimit',
    build: (v) => adaptiveConcurrency({ initialLimit: v }),
    bad: [null, 0, Number.NaN, Number.POSITIVE_INFINITY, 1e9, '20'],
  },
  {
    factory: 'adaptiveConcurrency',
    option: 'minLimit',
    build: (v) => adaptiveConcurrency({ minLimit: v }),
    bad: [...NOT_POSITIVE, Number.POSITIVE_INFINITY],
  },
  {
    factory: 'adaptiveConcurrency',
    option: 'maxLimit',
    build: (v) => adaptiveConcurrency({ maxLimit: v }),
    bad: [null, 0, 1.5, Number.NaN, '10'],
  },
  {
    factory: 'adaptiveConcurrency',
    option: 'backoffRatio',
    build: (v) => adaptiveConcurrency({ backoffRatio: v }),
    bad: [null, 0, 1, Number.NaN, '0.5'],
  },
  {
    factory: 'adaptiveConcurrency',
    option: 'maxWait',
    build: (v) => adaptiveConcurrency({ maxWait: v }),
    bad: [null, -1, Number.NaN, '1'],
  },
  {
    factory: 'adaptiveConcurrency',
    option: 'maxQueue',
    build: (v) => adaptiveConcurrency({ maxQueue: v }),
    bad: [null, -1, 1.5, Number.NaN],
  },
  {
    factory: 'adaptiveConcurrency',
    option: 'backlogOrder',
    build: (v) => adaptiveConcurrency({ backlogOrder: v }),
    bad: [null, 'lifo', 5],
  },
  {
    factory: 'adaptiveConcurrency',
    option: 'initialRtt',
    build: (v) => adaptiveConcurrency({ initialRtt: v }),
    bad: [...NOT_POSITIVE, Number.POSITIVE_INFINITY],
  },
  {
    factory: 'adaptiveConcurrency',
    option: 'maxPause',
    build: (v) => adaptiveConcurrency({ maxPause: v }),
    bad: NOT_FINITE_NON_NEGATIVE,
  },
  {
    factory: 'adaptiveConcurrency',
    option: 'handle',
    build: (v) => adaptiveConcurrency({ handle: v }),
    bad: NOT_FUNCTION,
  },
  ...common('adaptiveConcurrency', (extra) => adaptiveConcurrency(extra)),

  // keyedPolicy
  {
    factory: 'keyedPolicy',
    option: 'factory',
    build: (v) => keyedPolicy(v),
    bad: [undefined, ...NOT_FUNCTION],
  },
  {
    factory: 'keyedPolicy',
    option: 'options',
    build: (v) => keyedPolicy(() => retry(), v),
    bad: NOT_OBJECT,
  },
  {
    factory: 'keyedPolicy',
    option: 'maxKeys',
    build: (v) => keyedPolicy(() => retry(), { maxKeys: v }),
    bad: [null, 0, 1.5, Number.NaN, '10'],
  },
  {
    factory: 'keyedPolicy',
    option: 'idleTtl',
    build: (v) => keyedPolicy(() => retry(), { idleTtl: v }),
    bad: NOT_POSITIVE,
  },
  ...(['onCreate', 'onEvict'] as const).map(
    (option): Row => ({
      factory: 'keyedPolicy',
      option,
      build: (v) => keyedPolicy(() => retry(), { [option]: v }),
      bad: NOT_FUNCTION,
    }),
  ),
  ...common('keyedPolicy', (extra) => keyedPolicy(() => retry(), extra), false),

  // backoffs
  {
    factory: 'constant',
    option: 'delay',
    build: (v) => constant(v),
    bad: [undefined, ...NOT_FINITE_NON_NEGATIVE],
  },
  { factory: 'linear', option: 'options', build: (v) => linear(v), bad: [null, 'options', true, []] },
  ...(['initialDelay', 'step', 'maxDelay'] as const).map(
    (option): Row => ({
      factory: 'linear',
      option,
      build: (v) => linear({ [option]: v }),
      bad: NOT_FINITE_NON_NEGATIVE,
    }),
  ),
  {
    factory: 'linear',
    option: 'initialDelay',
    build: (v) => linear(v),
    bad: [-1, Number.NaN, Number.POSITIVE_INFINITY],
  },
  { factory: 'exponential', option: 'options', build: (v) => exponential(v), bad: NOT_OBJECT },
  ...(['initialDelay', 'maxDelay'] as const).map(
    (option): Row => ({
      factory: 'exponential',
      option,
      build: (v) => exponential({ [option]: v }),
      bad: NOT_FINITE_NON_NEGATIVE,
    }),
  ),
  {
    factory: 'exponential',
    option: 'factor',
    build: (v) => exponential({ factor: v }),
    bad: [null, 0.5, -1, Number.NaN, Number.POSITIVE_INFINITY, '2'],
  },
  {
    factory: 'exponential',
    option: 'jitter',
    build: (v) => exponential({ jitter: v }),
    bad: [null, 'random', 5],
  },
  { factory: 'exponential', option: 'random', build: (v) => exponential({ random: v }), bad: NOT_RANDOM },
  ...(
    [
      ['constant', constant(10)],
      ['linear', linear()],
      ['exponential', exponential()],
    ] as const
  ).flatMap(([name, backoff]): Row[] => [
    {
      factory: `${name}().delays`,
      option: 'count',
      build: (v) => backoff.delays(v),
      bad: [undefined, null, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 1e7, '5'],
    },
    {
      factory: `${name}().delays`,
      option: 'random',
      build: (v) => backoff.delays(3, v),
      bad: NOT_RANDOM,
    },
  ]),
];

function label(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'number' || value === undefined) return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return typeof value;
  }
}

function thrownBy(build: Build, value: unknown): unknown {
  try {
    build(value);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('every factory refuses bad options at construction, naming the option', () => {
  const cases = rows.flatMap((row) =>
    row.bad.map((value) => [`${row.factory}: ${row.option} = ${label(value)}`, row, value] as const),
  );

  it.each(cases)('%s', (_name, row, value) => {
    const error = thrownBy(row.build, value);
    expect(isInvalidOptionError(error), `threw ${String(error)}`).toBe(true);
    expect((error as { option: string }).option).toBe(row.option);
  });
});

describe('optional options may be omitted, and an omitted option takes its default', () => {
  it.each([
    ['retry', () => retry(undefined)],
    ['timeout', () => timeout(100, undefined)],
    ['circuitBreaker', () => circuitBreaker(undefined)],
    ['countWindow', () => countWindow(undefined)],
    ['timeWindow', () => timeWindow(undefined)],
    ['consecutive', () => consecutive(undefined)],
    ['retryBudget', () => retryBudget(undefined)],
    ['adaptiveThrottle', () => adaptiveThrottle(undefined)],
    ['adaptiveConcurrency', () => adaptiveConcurrency(undefined)],
    ['keyedPolicy', () => keyedPolicy(() => retry(), undefined)],
    ['memoryStore', () => memoryStore(undefined)],
    ['linear', () => linear(undefined)],
    ['exponential', () => exponential(undefined)],
    ['withCost', () => withCost(() => 1, 1, undefined)],
    ['retry with every option undefined', () => retry({ maxAttempts: undefined, clock: undefined })],
    ['bulkhead with a virtual clock', () => bulkhead({ maxConcurrent: 1, clock })],
  ])('%s', (_name, build) => {
    expect(build).not.toThrow();
  });
});
