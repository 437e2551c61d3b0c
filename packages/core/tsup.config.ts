import { defineConfig } from 'tsup';

export default defineConfig({
  // One entry per audience: application code, the low-level TIM client, test helpers.
  entry: {
    index: 'src/index.ts',
    'tim/index': 'src/tim/index.ts',
    testing: 'src/testing/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
  // Shared code goes into shared chunks in both formats, so the entries share one TimClient
  // class and one set of error classes.
  splitting: true,
  // The conformance suite in `testing` defines vitest tests: vitest is the test runner's, never
  // bundled.
  external: ['vitest'],
  // The CJS build gets an import.meta.url shim (the SDK loader uses require.resolve there anyway).
  shims: true,
});
