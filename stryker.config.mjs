// Mutation testing of @bulwark/core and @bulwark/http-status (issue 19). Run it through `pnpm test:mutation`
// (scripts/mutation.mjs), which picks Node 24, mutates one unit (a package or one of core's folders) at a time and
// gives each unit its own incremental file and report under reports/mutation/. See docs/quality.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // By path: under pnpm, Stryker's default glob (@stryker-mutator/*) looks beside its own package, not the root's.
  plugins: [import.meta.resolve('@stryker-mutator/vitest-runner')],
  vitest: { configFile: 'vitest.mutation.config.ts' },
  // Only the tests that cover a mutant run against it.
  coverageAnalysis: 'perTest',
  incremental: true,
  reporters: ['clear-text', 'progress', 'html'],
  // scripts/mutation.mjs names the report after the unit it runs.
  htmlReporter: { fileName: process.env.BULWARK_MUTATION_REPORT ?? 'reports/mutation/mutation.html' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  // The sandbox copies only what the tests need: the sources, tests and configs (node_modules is linked).
  ignorePatterns: [
    'benchmarks',
    'docs',
    'examples',
    'conformance',
    'packages/redis',
    'packages/gemini-adapter',
    'packages/opentelemetry',
    'reports',
  ],
  // Stryker's default: a mutant is timed out after 1.5x its tests' time in the dry run plus 5 s. Each timeout
  // restarts a test runner, so a hung mutant (an emptied loop guard, a dropped abort) costs that 5 s and more:
  // with 10 s, a third of http-status's run went to mutants that hang.
  timeoutMS: 5_000,
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: '.stryker-tmp',
};
