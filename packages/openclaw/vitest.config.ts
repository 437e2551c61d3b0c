import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run against the sources of sibling packages, so no build is needed between edits.
const src = (pkg: string) => fileURLToPath(new URL(`../${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      '@clawlink/core': src('core'),
      '@clawlink/emulator': src('emulator'),
      '@clawlink/tim-facts': src('tim-facts'),
      '@clawlink/usersig': src('usersig'),
    },
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['src/test-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
