/**
 * @bulwark/gemini-adapter: resilient Gemini calls on Bulwark.
 * The fault-injecting fake server lives in `@bulwark/gemini-adapter/testing`.
 */
export * from './errors/index.js';
