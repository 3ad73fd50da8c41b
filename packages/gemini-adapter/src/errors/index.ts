export { blockedFailureOf } from './blocked.js';
export { parseDuration } from './details.js';
export { emptyFailureOf } from './empty.js';
export {
  GeminiFailure,
  type GeminiFailureInit,
  type GeminiFailureKind,
  geminiFailureKinds,
  isGeminiFailure,
} from './failure.js';
export { type ParseContext, parseGeminiError } from './parse.js';
