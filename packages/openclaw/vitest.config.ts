import { defineConfig } from 'vitest/config';
import { siblingSources } from '../../vitest.base.mjs';

export default defineConfig({
  resolve: { alias: siblingSources('core', 'emulator', 'tim-facts', 'usersig') },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['src/test-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
