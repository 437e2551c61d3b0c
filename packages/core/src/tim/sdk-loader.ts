import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { compileFunction } from 'node:vm';
import { TimError } from '../errors/tim-error.js';
import type { SdkEnvironment } from './sdk-environment.js';
import type { SdkModule } from './sdk-types.js';

/** The SDK file: the UMD bundle of tim-js-sdk 2.27.6. */
const SDK_SPECIFIER = 'tim-js-sdk/tim-js.js';

/**
 * The free identifiers of the bundle we provide, in parameter order. Besides the CommonJS
 * wrapper and the browser shims, the mini-program globals the SDK sniffs (`wx`, `uni`, ...)
 * are pinned to `undefined`, so a host that happens to define one cannot change how the SDK
 * behaves, and `global`/`globalThis`/`self`/`define` are hidden so the UMD header can only
 * take its `module.exports` path.
 */
const PARAMETERS = [
  'exports',
  'require',
  'module',
  '__filename',
  '__dirname',
  'window',
  'document',
  'navigator',
  'XMLHttpRequest',
  'WebSocket',
  'Worker',
  'localStorage',
  'location',
  'Promise',
  'console',
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'global',
  'globalThis',
  'self',
  'define',
  'wx',
  'qq',
  'tt',
  'swan',
  'my',
  'jd',
  'uni',
  'getApp',
  '__wxConfig',
  '__qqConfig',
] as const;

type SdkFactory = (...args: unknown[]) => void;

let compiled: { factory: SdkFactory; filename: string } | undefined;

/**
 * Where the SDK file is. In the CommonJS build `require` is the module's own; in the ES module
 * build (and under vitest) it is not defined and `import.meta.url` anchors the lookup.
 */
function resolveSdkFile(): string {
  if (typeof require === 'function' && typeof require.resolve === 'function') {
    return require.resolve(SDK_SPECIFIER);
  }
  return createRequire(import.meta.url).resolve(SDK_SPECIFIER);
}

/** Reads and compiles the SDK once per process; every instance shares the compiled code. */
function compileSdk(): { factory: SdkFactory; filename: string } {
  if (compiled) return compiled;
  let filename: string;
  let source: string;
  try {
    filename = resolveSdkFile();
    source = readFileSync(filename, 'utf8');
  } catch (cause) {
    throw new TimError(
      'TIM_ERROR',
      'Could not load tim-js-sdk. Reinstall @clawlink/core so its dependency tim-js-sdk@2.27.6 is present.',
      { cause, operation: 'loadSdk' },
    );
  }
  const factory = compileFunction(source, [...PARAMETERS], { filename }) as SdkFactory;
  compiled = { factory, filename };
  return compiled;
}

/**
 * Runs the SDK's module code with a fresh `module` object and the given environment, and
 * returns its export. Each call yields a fully isolated SDK (its own `TIM.create` singleton
 * table, log level and clock offset) while the compiled code is shared, so several accounts of
 * one SDKAppID can live in one process. No global is read for the shimmed names or written.
 *
 * @internal
 */
export function instantiateSdk(environment: SdkEnvironment): SdkModule {
  if (typeof environment.WebSocket !== 'function') {
    throw new TimError(
      'TIM_ERROR',
      'This Node.js has no global WebSocket. Run clawlink on Node.js 22.12 or newer (Node 24 LTS recommended).',
      { operation: 'loadSdk' },
    );
  }
  const { factory, filename } = compileSdk();
  const module: { exports: unknown } = { exports: {} };
  const values: Record<(typeof PARAMETERS)[number], unknown> = {
    exports: module.exports,
    require: undefined,
    module,
    __filename: filename,
    __dirname: dirname(filename),
    window: environment.window,
    document: environment.document,
    navigator: environment.navigator,
    XMLHttpRequest: environment.XMLHttpRequest,
    WebSocket: environment.WebSocket,
    Worker: environment.Worker,
    localStorage: environment.localStorage,
    location: environment.location,
    Promise: environment.Promise,
    console: environment.console,
    setTimeout: environment.timers.setTimeout,
    clearTimeout: environment.timers.clearTimeout,
    setInterval: environment.timers.setInterval,
    clearInterval: environment.timers.clearInterval,
    global: undefined,
    globalThis: undefined,
    self: undefined,
    define: undefined,
    wx: undefined,
    qq: undefined,
    tt: undefined,
    swan: undefined,
    my: undefined,
    jd: undefined,
    uni: undefined,
    getApp: undefined,
    __wxConfig: undefined,
    __qqConfig: undefined,
  };
  factory.call(undefined, ...PARAMETERS.map((name) => values[name]));
  const sdk = module.exports as Partial<SdkModule>;
  if (typeof sdk.create !== 'function' || !sdk.EVENT || !sdk.TYPES) {
    throw new TimError(
      'TIM_ERROR',
      'tim-js-sdk did not load as expected; reinstall @clawlink/core.',
      {
        operation: 'loadSdk',
      },
    );
  }
  return sdk as SdkModule;
}
