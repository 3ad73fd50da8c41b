/**
 * `policy.events.listens(event)` (what a policy asks before building a payload, public for custom policies) is true
 * only for an event that has a listener, not for every event as soon as any has one; `active` is true while any
 * event has one.
 */
import { describe, expect, it } from 'vitest';
import { retry } from '../src/index.js';

describe('PolicyEmitter.listens', () => {
  it('answers for the one event asked about', () => {
    const policy = retry();
    expect(policy.events.listens('retry')).toBe(false);
    expect(policy.events.active).toBe(false);
    const off = policy.on('retry', () => {});
    expect(policy.events.listens('retry')).toBe(true);
    expect(policy.events.listens('success')).toBe(false);
    expect(policy.events.listens('giveUp')).toBe(false);
    expect(policy.events.active).toBe(true);
    off();
    expect(policy.events.listens('retry')).toBe(false);
    expect(policy.events.active).toBe(false);
  });
});
