/**
 * `deadline: Infinity` and `deadline: null` in execute options mean "no deadline": the function sees
 * `context.deadline` undefined, as with no option at all, through a policy or a pipeline; a finite deadline is
 * passed on as given.
 */
import { describe, expect, it } from 'vitest';
import { pipeline, retry, type ExecutionContext } from '../src/index.js';

const seen = (context: ExecutionContext) => context.deadline;

describe.each([
  ['a policy', () => retry()],
  ['a pipeline', () => pipeline(retry())],
])('%s: execute without a deadline', (_, make) => {
  it.each([
    ['Infinity', { deadline: Number.POSITIVE_INFINITY }],
    ['null', { deadline: null }],
    ['no deadline option', {}],
    ['no options', undefined],
  ])('%s: the function sees no deadline', async (_case, options) => {
    await expect(make().execute(seen, options as never)).resolves.toBeUndefined();
  });

  it('a finite deadline is passed on as given', async () => {
    await expect(make().execute(seen, { deadline: 1e15 })).resolves.toBe(1e15);
  });
});
