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
  '__clawlinkLogLevel',
  '__clawlinkInstanceCreated',
] as const;

/**
 * Two one-token edits of the 2.27.6 bundle, each applied only where its anchor occurs exactly
 * once (another build loads unchanged, without these two effects):
 * - the SDK logger's initial level (`Fe=0`) becomes the client's level, so `TIM.create`
 *   formats no log line the client would drop (the SDK otherwise logs everything until
 *   `setLogLevel` can be called on the created instance);
 * - `TIM.create` hands the instance and its internal object to the environment (the public
 *   instance is a closure-only facade), which is how the client keeps the SDK's in-memory
 *   message lists bounded (see `sdk-message-list.ts`).
 */
const SOURCE_PATCHES: ReadonlyArray<readonly [anchor: string, replacement: string]> = [
  [',Fe=0;function qe(){', ',Fe=__clawlinkLogLevel;function qe(){'],
  [
    'return oc[n]=a,Ln.hookGetAPITips(',
    'return __clawlinkInstanceCreated(a,s),oc[n]=a,Ln.hookGetAPITips(',
  ],
];

/** Applies each patch whose anchor occurs exactly once. */
function patchSource(source: string): string {
  let patched = source;
  for (const [anchor, replacement] of SOURCE_PATCHES) {
    const at = patched.indexOf(anchor);
    if (at === -1 || patched.indexOf(anchor, at + 1) !== -1) continue;
    patched = patched.slice(0, at) + replacement + patched.slice(at + anchor.length);
  }
  return patched;
}

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
  const factory = compileFunction(patchSource(source), [...PARAMETERS], {
    filename,
  }) as SdkFactory;
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
    __clawlinkLogLevel: environment.logLevel,
    __clawlinkInstanceCreated: environment.onInstanceCreated,
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
