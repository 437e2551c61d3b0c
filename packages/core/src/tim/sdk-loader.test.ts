import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRecordingLogger } from '../testing/recording-logger.js';
import { createSdkPromiseClass } from './rejection-containment.js';
import { createSdkEnvironment } from './sdk-environment.js';
import { instantiateSdk } from './sdk-loader.js';
import { createSdkTimers } from './sdk-timers.js';
import type { SdkInstance } from './sdk-types.js';
import { waitUntil } from './test-support.js';

const SHIMMED = [
  'window',
  'document',
  'XMLHttpRequest',
  'TIM',
  'localStorage',
  'Worker',
  'location',
];

function environment(logger = createRecordingLogger()) {
  return createSdkEnvironment({
    logger,
    Promise: createSdkPromiseClass(logger),
    scrub: (line) => line,
    timers: createSdkTimers(),
  });
}

describe('sdk-loader', () => {
  const created: SdkInstance[] = [];
  afterEach(async () => {
    await Promise.allSettled(created.splice(0).map((tim) => tim.destroy()));
    vi.restoreAllMocks();
  });

  it('gives each call an isolated SDK and touches no global', async () => {
    const globalsBefore = new Set(Object.getOwnPropertyNames(globalThis));
    const navigatorBefore = globalThis.navigator;
    const consoleLog = vi.spyOn(console, 'log');
    const logger = createRecordingLogger();

    const a = instantiateSdk(environment(logger));
    const b = instantiateSdk(environment());
    expect(a).not.toBe(b);
    expect(a.VERSION).toBe('2.27.6');
    // Same SDKAppID, two instances: TIM.create's singleton table is per SDK copy.
    // Port 1 refuses at once; the instances are destroyed in afterEach.
    const timA = a.create({ SDKAppID: 1400000001, proxyServer: 'ws://127.0.0.1:1' });
    const timB = b.create({ SDKAppID: 1400000001, proxyServer: 'ws://127.0.0.1:1' });
    created.push(timA, timB);
    expect(timA).not.toBe(timB);
    expect(a.create({ SDKAppID: 1400000001 })).toBe(timA);

    for (const name of SHIMMED) expect(name in globalThis, name).toBe(false);
    expect(globalThis.navigator).toBe(navigatorBefore);
    expect(
      Object.getOwnPropertyNames(globalThis).filter((name) => !globalsBefore.has(name)),
    ).toEqual([]);
    // The SDK's own console output went to the logger (at debug), not to the process console.
    expect(consoleLog).not.toHaveBeenCalled();
    expect(
      logger.lines.some(
        (line) => line.level === 'debug' && line.msg.includes('TIM.VERSION:2.27.6'),
      ),
    ).toBe(true);
  });

  it('relies on a bundle that reaches browser globals only as free identifiers', () => {
    const source = readFileSync(
      createRequire(import.meta.url).resolve('tim-js-sdk/tim-js.js'),
      'utf8',
    );
    // The UMD header is the only place `globalThis`/`self` appear, and its CommonJS branch is
    // taken first (we pass `exports` and `module`).
    const header = source.slice(0, source.indexOf('(this,(function(){'));
    expect(header).toContain(
      '"object"==typeof exports&&"undefined"!=typeof module?module.exports=t()',
    );
    expect(source.split('globalThis').length - 1).toBe(header.split('globalThis').length - 1);
    expect(source).not.toMatch(
      /\b(?:globalThis|self|global|window)\.(?:XMLHttpRequest|WebSocket|Promise|document|localStorage|Worker)\b/,
    );
    // Babel output: `Promise` is a free identifier, never async/await (so SdkPromise sees all).
    expect(source).not.toMatch(/\basync function\b|\bawait\s/);
  });

  it('gives the SDK an XMLHttpRequest that fails at once and never reaches the network', async () => {
    const logger = createRecordingLogger();
    const Xhr = environment(logger).XMLHttpRequest as new () => {
      readyState: number;
      status: number;
      onreadystatechange: (() => void) | null;
      open(method: string, url: string): void;
      send(body?: string): void;
    };
    const xhr = new Xhr();
    const states: Array<[number, number]> = [];
    xhr.onreadystatechange = () => states.push([xhr.readyState, xhr.status]);
    xhr.open('POST', 'https://events.im.qcloud.com/v4/imopenstat/tim_web_report_v2?sdkappid=1');
    xhr.send('{}');
    await waitUntil(() => states.length > 0, 1000, 'the XHR to complete');
    expect(states).toEqual([[4, 0]]);
    expect(
      logger.lines.some((line) =>
        JSON.stringify(line.obj).includes('events.im.qcloud.com/v4/imopenstat'),
      ),
    ).toBe(true);
  });
});
