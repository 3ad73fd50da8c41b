/**
 * `@bulwark/core/validate`: the option validator of every Bulwark package, for Bulwark's own packages
 * (`@bulwark/http-status`, `@bulwark/gemini-adapter` and its fake server) and for authors of custom policies who
 * want their options checked the way core checks its own. Applications do not need it.
 *
 * The rules: an omitted (undefined) option takes its default (`orDefault`, `optionsOf`); null is refused like any
 * other wrong value; a bad value throws `InvalidOptionError` naming the option by its path (pass the full path to
 * nested checks, or run a nested factory under `nestedOptions`); messages read `expected <what>, got <value>`.
 */
export {
  clockOf,
  describe,
  isAbortSignal,
  nestedOptions,
  optionalBoolean,
  optionalFunction,
  optionalRetryGate,
  optionalSignal,
  optionalString,
  optionsOf,
  orDefault,
  policyName,
  requireAtLeast,
  requireBoolean,
  requireFinite,
  requireFiniteNonNegative,
  requireFunction,
  requireInteger,
  requireIntegerIn,
  requireMethods,
  requireNames,
  requireNonEmptyString,
  requireNonNegativeOrInfinity,
  requireNumberIn,
  requireObject,
  requireOneOf,
  requireOptions,
  requirePositive,
  requireRatio,
  requireRecord,
  requireString,
} from './internal/validate.js';
