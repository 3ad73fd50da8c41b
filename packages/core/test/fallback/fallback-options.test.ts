/** fallback() without options: the InvalidOptionError says what the options must hold. */
import { describe, expect, it } from 'vitest';
import { fallback, isInvalidOptionError } from '../../src/index.js';
import { thrown } from '../support/helpers.js';

describe('fallback: options', () => {
  it.each([undefined, null, 5])('refuses %s as options, saying they need a fallback', (options) => {
    const error = thrown(() => fallback(options as never));
    expect(isInvalidOptionError(error) && error.option).toBe('options');
    expect((error as Error).message).toContain('an options object with fallback');
  });
});
