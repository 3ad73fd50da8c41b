/**
 * flushMicrotasks on each kind of host, on a freshly loaded copy of `testing.ts` (it picks its macrotask once, when
 * it loads): `setImmediate` where it exists (Node, Bun), else a `MessageChannel` (browsers, Deno, workers), else
 * `setTimeout(0)`. Each copy is loaded with the host's globals replaced, then they are restored at once. Whatever
 * it picked, a flush runs after every promise continuation queued before it, fake timers installed later do not
 * capture it, and the MessageChannel is closed once no flush is pending (an open port could keep a process alive).
 */
import FakeTimers from '@sinonjs/fake-timers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushMicrotasks } from '../src/testing.js';
import { stateOf } from './support/helpers.js';

type Module = typeof import('../src/testing.js');
let copies = 0;

/**
 * A new copy of testing.ts alone, loaded while `globals` replace the host's (a query makes it another module; what
 * it imports stays the one loaded).
 */
async function loadWith(globals: Record<string, unknown>): Promise<Module> {
  for (const [name, value] of Object.entries(globals)) vi.stubGlobal(name, value);
  try {
    const copy = new URL(`../src/testing.ts?copy=${++copies}`, import.meta.url).href;
    return (await import(/* @vite-ignore */ copy)) as Module;
  } finally {
    vi.unstubAllGlobals();
  }
}

/** Queues a chain of `length` promise continuations; `done()` tells how many have run. */
function chainOf(length: number): () => number {
  let ran = 0;
  let chain = Promise.resolve();
  for (let i = 0; i < length; i++) chain = chain.then(() => void ran++);
  return () => ran;
}

/** A MessageChannel that records each channel made and whether its receiving port was closed. */
function recordingChannels() {
  const made: { closed: boolean }[] = [];
  class RecordingChannel extends MessageChannel {
    constructor() {
      super();
      const record = { closed: false };
      made.push(record);
      const close = this.port1.close.bind(this.port1);
      this.port1.close = () => {
        record.closed = true;
        close();
      };
    }
  }
  return { made, RecordingChannel };
}

let fake: ReturnType<typeof FakeTimers.install> | undefined;
afterEach(() => {
  fake?.uninstall();
  fake = undefined;
});

/** Fake timers installed after the copy loaded: a flush that used them would wait for a tick that never comes. */
function installFakeTimers(): ReturnType<typeof FakeTimers.install> {
  fake = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] });
  return fake;
}

describe('a fresh copy', () => {
  it('is a new testing.ts', async () => {
    const fresh = await loadWith({});
    expect(fresh.flushMicrotasks).not.toBe(flushMicrotasks);
    const ran = chainOf(5);
    await fresh.flushMicrotasks();
    expect(ran()).toBe(5);
  });
});

describe('with setImmediate (Node, Bun)', () => {
  it('flushes through the setImmediate there was when the module loaded', async () => {
    const calls: unknown[] = [];
    const host = globalThis.setImmediate;
    const recording = (callback: () => void) => {
      calls.push(callback);
      return host(callback);
    };
    const fresh = await loadWith({ setImmediate: recording });
    const ran = chainOf(20);
    const flushed = fresh.flushMicrotasks();
    expect(calls).toHaveLength(1);
    await flushed;
    expect(ran()).toBe(20);
  });
});

describe('without setImmediate, on a MessageChannel (browsers, Deno, workers)', () => {
  it('runs every continuation queued before, and fake timers installed later do not capture it', async () => {
    const { made, RecordingChannel } = recordingChannels();
    const fresh = await loadWith({ setImmediate: undefined, MessageChannel: RecordingChannel });
    const timers = installFakeTimers();
    const ran = chainOf(50);
    const flushed = fresh.flushMicrotasks();
    expect(timers.countTimers()).toBe(0);
    expect(made).toHaveLength(1);
    await flushed;
    expect(ran()).toBe(50);
  });

  it('flushes pending at once share one channel and settle in order; it is closed after the last', async () => {
    const { made, RecordingChannel } = recordingChannels();
    const fresh = await loadWith({ setImmediate: undefined, MessageChannel: RecordingChannel });
    const order: number[] = [];
    const flushes = [1, 2, 3].map((n) => fresh.flushMicrotasks().then(() => order.push(n)));
    expect(made).toHaveLength(1);
    await flushes[0];
    // Two flushes still wait on it: the channel stays open for them.
    expect(order).toEqual([1]);
    expect(made[0]!.closed).toBe(false);
    expect(await stateOf(flushes[2]!)).toBe('pending');
    await Promise.all(flushes);
    expect(order).toEqual([1, 2, 3]);
    expect(made.map((channel) => channel.closed)).toEqual([true]);
  });

  it('a flush after the channel closed opens a new one, closed in turn', async () => {
    const { made, RecordingChannel } = recordingChannels();
    const fresh = await loadWith({ setImmediate: undefined, MessageChannel: RecordingChannel });
    await fresh.flushMicrotasks();
    expect(made.map((channel) => channel.closed)).toEqual([true]);
    const ran = chainOf(10);
    const again = fresh.flushMicrotasks();
    expect(made).toHaveLength(2);
    await again;
    expect(ran()).toBe(10);
    expect(made.map((channel) => channel.closed)).toEqual([true, true]);
  });

  it("drives a VirtualClock: a timer's continuations run before the next timer fires", async () => {
    const { RecordingChannel } = recordingChannels();
    const fresh = await loadWith({ setImmediate: undefined, MessageChannel: RecordingChannel });
    const clock = new fresh.VirtualClock();
    const seen: string[] = [];
    clock.setTimer(() => {
      void Promise.resolve()
        .then(() => undefined)
        .then(() => seen.push('after first'));
      seen.push('first');
    }, 10);
    clock.setTimer(() => seen.push('second'), 10);
    await clock.advance(10);
    expect(seen).toEqual(['first', 'after first', 'second']);
  });
});

describe('with neither (a bare host)', () => {
  it("flushes through the host's setTimeout(0), taken when the module loaded", async () => {
    const delays: unknown[] = [];
    const host = globalThis.setTimeout;
    const recording = (callback: () => void, ms?: number) => {
      delays.push(ms);
      return host(callback, ms);
    };
    const fresh = await loadWith({
      setImmediate: undefined,
      MessageChannel: undefined,
      setTimeout: recording,
    });
    const timers = installFakeTimers();
    const ran = chainOf(30);
    const flushed = fresh.flushMicrotasks();
    expect(delays).toEqual([0]);
    expect(timers.countTimers()).toBe(0);
    await flushed;
    expect(ran()).toBe(30);
  });
});
