/**
 * The option validator of every Bulwark package (core's policies, @bulwark/http-status, the Gemini adapter and its
 * fake server; exported as `@bulwark/core/validate`). One set of rules everywhere:
 * - an omitted (undefined) option takes its default (`orDefault`, `optionsOf`); null is a value like any other, and
 *   is refused by the check that follows (never silently replaced by the default);
 * - a bad value throws InvalidOptionError naming the option by its path (`limits.gemini-2.5-pro.rpm`,
 *   `breaker.halfOpenAfter`): nested checks take the full path, and `nestedOptions` re-roots a nested factory's;
 * - messages read `expected <what>, got <the value, described>` (`describe` never prints more than 64 characters
 *   of a string, nor an object's contents).
 *
 * The checks, by job: `validate/values.ts` (one value), `validate/options.ts` (an options argument as a whole,
 * names, defaults, nested paths), `validate/collaborators.ts` (a clock, a retry gate, a signal),
 * `validate/describe.ts` (how a message shows a value), `validate/invalid.ts` (the error a failed check throws).
 */
export * from './validate/collaborators.js';
export * from './validate/describe.js';
export * from './validate/invalid.js';
export * from './validate/options.js';
export * from './validate/values.js';
