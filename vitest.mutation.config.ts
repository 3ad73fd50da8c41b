import { defineConfig } from 'vitest/config';

// The tests Stryker runs against each mutant (stryker.config.mjs): core's and http-status's own, nothing that
// needs Redis, Gemini or a build of the mutated code.
export default defineConfig({
  test: {
    include: ['packages/core/test/**/*.test.ts', 'packages/http-status/test/**/*.test.ts'],
    testTimeout: 20_000,
    dangerouslyIgnoreUnhandledErrors: false,
    pool: 'forks',
  },
});
