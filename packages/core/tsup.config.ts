import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing.ts',
    store: 'src/store.ts',
    validate: 'src/validate.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  treeshake: true,
  // Shared chunks in CJS too: an entry point (./store, ./validate) must not carry its own copy of the error classes
  // or of ADMITTED.
  splitting: true,
});
