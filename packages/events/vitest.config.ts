import { defineConfig } from 'vitest/config';
import { siblingSources } from '../../vitest.base.mjs';

export default defineConfig({
  resolve: { alias: siblingSources('core', 'emulator', 'tim-facts', 'usersig') },
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
