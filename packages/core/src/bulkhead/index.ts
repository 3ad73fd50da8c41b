export { type BulkheadOptions, BulkheadPolicy, bulkhead } from './bulkhead.js';
