import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'benchmarks/test/**/*.test.ts', 'docs/test/**/*.test.ts'],
    testTimeout: 20_000,
    // Unhandled rejections fail the run: no policy may leak one.
    dangerouslyIgnoreUnhandledErrors: false,
    pool: 'forks',
    reporters: ['default', './vitest.summary-reporter.ts'],
  },
});
