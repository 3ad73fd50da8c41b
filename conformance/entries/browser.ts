/**
 * Entry point for a browser page (bundled into one file by the harness). The page's query string carries
 * `base` (the harness server), `refused` (a closed port) and `filter`; results go to the console as they come and to
 * `globalThis.__conformance` at the end, where the harness (playwright-core) reads them; it counts the page's
 * uncaught errors and unhandled rejections as failures.
 */
import { conformanceSuite, formatResult, type Report } from '../src/index.js';

declare global {
  var __conformance: Report | { error: string } | undefined;
}

const params = new URLSearchParams(location.search);
const suite = conformanceSuite({
  baseUrl: params.get('base') ?? undefined,
  refusedUrl: params.get('refused') ?? undefined,
});
suite
  .run({
    runtime: navigator.userAgent,
    filter: params.get('filter') ?? undefined,
    onResult: (result) => console.log(formatResult(result)),
  })
  .then(
    (report) => {
      globalThis.__conformance = report;
    },
    (error: unknown) => {
      globalThis.__conformance = { error: String(error) };
    },
  );
