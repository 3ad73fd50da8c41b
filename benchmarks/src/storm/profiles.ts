/**
 * Bulwark's two profiles in the storm, in scenario ms (the real storm multiplies every duration by its scale):
 * the completion-first default, whose overflow waits locally up to a minute (bounded by the caller's deadline),
 * and a latency-bounded profile for interactive callers, from options adaptiveConcurrency already has: a call
 * waits at most `maxWait` for a slot, and a backlogged queue serves its newest call first, so calls arriving now
 * stay fast while the stale backlog is refused locally (ThrottledError) instead of being served late.
 */
import type { AdaptiveConcurrencyOptions } from '@bulwark/core';

export interface Profile {
  /** Suffix of the strategy's id ('' for the default). */
  readonly id: '' | '-interactive';
  readonly label: string;
  readonly concurrency: Pick<AdaptiveConcurrencyOptions, 'maxWait' | 'backlogOrder'>;
}

export const COMPLETION_FIRST: Profile = {
  id: '',
  label: 'completion-first (default)',
  concurrency: { maxWait: 60_000, backlogOrder: 'deadline' },
};

export const LATENCY_BOUNDED: Profile = {
  id: '-interactive',
  label: 'latency-bounded',
  concurrency: { maxWait: 2_000, backlogOrder: 'newestFirst' },
};
