import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node24',
  // The host's SDK is the gateway's own copy (a peer): never bundled.
  external: [/^openclaw(\/|$)/],
});
