import type { Logger } from '../logging/logger.js';
import type { SdkPromiseClass } from './rejection-containment.js';
import type { SdkTimers } from './sdk-timers.js';

/**
 * The browser-like environment one TIM SDK instance sees. Each value is handed to the SDK as a
 * parameter of its module function, so no global of the process is read or written for it.
 *
 * @internal
 */
export interface SdkEnvironment {
  window: object;
  document: object;
  navigator: object;
  XMLHttpRequest: new () => object;
  WebSocket: typeof WebSocket;
  Worker: undefined;
  localStorage: undefined;
  location: undefined;
  Promise: SdkPromiseClass;
  console: Record<string, (...args: unknown[]) => void>;
  /** The instance's timers, tracked so they can all be cleared on release. */
  timers: SdkTimers;
  /** The SDK logger's level from the start (before `TIM.create`): 0 = everything, 4 = nothing. */
  logLevel: number;
  /** Called by each `TIM.create` with the public instance and the SDK's internal object. */
  onInstanceCreated: SdkInstanceCreatedHook;
}

/**
 * Receives each instance `TIM.create` makes, with the SDK's internal object behind it (the
 * public instance is a facade that exposes nothing else).
 */
export type SdkInstanceCreatedHook = (instance: object, internals: object) => void;

/** Options for {@link createSdkEnvironment}. */
export interface SdkEnvironmentOptions {
  /** Receives the SDK's console output (at debug) and blocked HTTP requests. */
  logger: Logger;
  /** The `Promise` class the SDK will use. */
  Promise: SdkPromiseClass;
  /** Removes secrets from a line of SDK output before it is logged. */
  scrub: (line: string) => string;
  /** The timer functions the SDK will use. */
  timers: SdkTimers;
  /**
   * The SDK's own log level (0 = everything ... 4 = nothing), in force before it logs anything;
   * default 0, the SDK's own.
   */
  logLevel?: number;
  /** Receives each instance `TIM.create` makes, with the SDK's internal object behind it. */
  onInstanceCreated?: SdkInstanceCreatedHook;
}

const USER_AGENT = `Mozilla/5.0 (Node.js ${process.versions.node}) clawlink`;

/** Methods the SDK's logger looks up on `console`. */
const CONSOLE_METHODS = [
  'debug',
  'log',
  'info',
  'warn',
  'error',
  'trace',
  'assert',
  'dir',
  'table',
];

/**
 * Builds the environment for one SDK instance:
 * - `navigator.cookieEnabled` is false, which turns the SDK's storage module off (no
 *   `localStorage` needed, nothing persisted);
 * - `document.charset` is what `sendMessage` needs to measure a message;
 * - `XMLHttpRequest` fails every request at once (status 0): 2.27.6 POSTs telemetry over HTTP
 *   after a kick, and that must never leave the machine;
 * - `WebSocket` is Node's native one (Node >= 22);
 * - `console` forwards the SDK's own log lines to `logger.debug`.
 *
 * @internal
 */
export function createSdkEnvironment(options: SdkEnvironmentOptions): SdkEnvironment {
  const { logger, scrub } = options;
  const noop = () => {};
  const navigator = { userAgent: USER_AGENT, cookieEnabled: false, onLine: true };
  const console: Record<string, (...args: unknown[]) => void> = {};
  for (const method of CONSOLE_METHODS) {
    console[method] = (...args: unknown[]) => {
      const line = args
        .filter((arg) => typeof arg !== 'string' || !arg.startsWith('background:'))
        .map((arg) => (typeof arg === 'string' ? arg : safeStringify(arg)))
        .join(' ')
        .replace(/%c/g, '')
        .replace(/\s+/g, ' ')
        .trim();
      logger.debug({ sdkLevel: method }, scrub(line));
    };
  }
  return {
    window: { navigator, addEventListener: noop, removeEventListener: noop },
    document: { charset: 'UTF-8' },
    navigator,
    XMLHttpRequest: createFailFastXhr(logger),
    WebSocket: globalThis.WebSocket,
    Worker: undefined,
    localStorage: undefined,
    location: undefined,
    Promise: options.Promise,
    console,
    timers: options.timers,
    logLevel: options.logLevel ?? 0,
    onInstanceCreated: options.onInstanceCreated ?? noop,
  };
}

/** An `XMLHttpRequest` whose every request completes at once with status 0, unsent. */
function createFailFastXhr(logger: Logger): new () => object {
  return class FailFastXMLHttpRequest {
    readyState = 0;
    status = 0;
    responseText = '';
    timeout = 0;
    onreadystatechange: (() => void) | null = null;
    onerror: (() => void) | null = null;
    onloadend: (() => void) | null = null;
    #target = '';
    #aborted = false;

    open(method: string, url: string): void {
      this.#target = `${method} ${url.split('?')[0] ?? ''}`;
      this.readyState = 1;
    }

    setRequestHeader(): void {}

    abort(): void {
      this.#aborted = true;
    }

    send(): void {
      logger.debug(
        { request: this.#target },
        'TIM SDK HTTP request blocked (clawlink never lets the SDK use HTTP)',
      );
      setImmediate(() => {
        if (this.#aborted) return;
        this.readyState = 4;
        this.status = 0;
        this.onreadystatechange?.();
        this.onerror?.();
        this.onloadend?.();
      });
    }
  };
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
