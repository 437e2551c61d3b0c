import type { Options } from 'tsup';

/**
 * The build options every library package shares (each package's `tsup.config.ts` spreads
 * them and names its own `entry`, where knip reads it): ESM and CJS with declarations and
 * source maps, for Node 22. A package overrides or adds what is its own (`target`, `external`).
 */
export const libraryBuild = {
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
} satisfies Options;
