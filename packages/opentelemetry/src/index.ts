export { errorType } from './error-type.js';
export { instrument, type StopInstrumentation } from './instrument.js';
export { ATTR, GEMINI_METRICS, METRICS, type Metric, SPAN_EVENTS } from './names.js';
export type { InstrumentOptions } from './options.js';
export { instrumentGemini } from './gemini/instrument-gemini.js';
