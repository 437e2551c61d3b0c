import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { AT_ALL_MARKER, TIM_LIMITS } from './index.js';

describe('TIM facts', () => {
  it('the @all marker is the string tim-js-sdk 2.27.6 itself uses', () => {
    const require = createRequire(import.meta.url);
    const sdk = readFileSync(require.resolve('tim-js-sdk'), 'utf8');
    expect(sdk).toContain(`"${AT_ALL_MARKER}"`);
  });

  it('the limits cannot be changed at run time', () => {
    expect(Object.isFrozen(TIM_LIMITS)).toBe(true);
    expect(TIM_LIMITS.messageBytes).toBe(12 * 1024);
  });
});
