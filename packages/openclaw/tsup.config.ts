import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base.js';

export default defineConfig({
  ...libraryBuild,
  entry: ['src/index.ts'],
  target: 'node24',
  // The host's SDK is the gateway's own copy (a peer): never bundled.
  external: [/^openclaw(\/|$)/],
});
