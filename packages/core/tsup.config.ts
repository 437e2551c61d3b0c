import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
  // The CJS build gets an import.meta.url shim (the SDK loader uses require.resolve there anyway).
  shims: true,
});
