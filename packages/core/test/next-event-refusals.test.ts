/**
 * nextEvent's refusal of a source that is not a policy says what it expected and what it got.
 */
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, nextEvent } from '../src/index.js';

describe('nextEvent refusals', () => {
  it('a source without on(): InvalidOptionError naming "source", expecting a policy', async () => {
    const error = await nextEvent({} as never, 'retry').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).message).toBe(
      'Invalid option "source": expected a policy (something with on()), got an object',
    );
  });
});
