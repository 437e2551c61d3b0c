/**
 * Test-only: loads the real TIM web SDK in Node and drives it against the emulator. Each call
 * to {@link loadSdk} evaluates a fresh copy of the module, because `TIM.create` returns one
 * instance per SDKAppID per module copy.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { compileFunction } from 'node:vm';
import type TIM from 'tim-js-sdk';
import type { ChatSDK } from 'tim-js-sdk';

const require = createRequire(import.meta.url);

/** The SDK packages the tests run. */
export type SdkPackage = 'tim-js-sdk' | '@tencentcloud/chat';

/** The SDK module (both packages share tim-js-sdk's typings). */
export type SdkModule = typeof TIM;

/** One SDK event as the test recorded it. */
export interface RecordedEvent {
  name: string;
  data: unknown;
}

/** An XMLHttpRequest that fails every request at once (the SDK's telemetry fallback). */
class FailFastXhr {
  readyState = 0;
  status = 0;
  responseText = '';
  onreadystatechange: (() => void) | null = null;
  onerror: (() => void) | null = null;
  open(): void {}
  setRequestHeader(): void {}
  abort(): void {}
  send(): void {
    setImmediate(() => {
      this.readyState = 4;
      this.onreadystatechange?.();
      this.onerror?.();
    });
  }
}

let globalsInstalled = false;

/** Installs the browser globals the SDK sniffs at load time (Node 24 has WebSocket, navigator). */
function installGlobals(): void {
  if (globalsInstalled) return;
  globalsInstalled = true;
  const noop = () => {};
  const scope = globalThis as Record<string, unknown>;
  scope.window ??= {
    navigator: { userAgent: 'Mozilla/5.0 (Node) clawlink-emulator-test', cookieEnabled: false },
    addEventListener: noop,
    removeEventListener: noop,
    // @tencentcloud/chat 3.x reads window.location.href during login (into its telemetry).
    location: { href: 'http://localhost/' },
  };
  scope.document ??= { charset: 'UTF-8' };
  scope.XMLHttpRequest = FailFastXhr;
}

/**
 * True for the SDK's own error objects: `{code, message, data}` with the message getter of
 * 2.x (`_getErrorMessage`) or 3.x (`_getErrMsg`).
 */
function isSdkError(reason: unknown): boolean {
  return (
    typeof reason === 'object' &&
    reason !== null &&
    typeof (reason as { code?: unknown }).code === 'number' &&
    ('_getErrorMessage' in reason || '_getErrMsg' in reason)
  );
}

let attaching = false;

/**
 * A `Promise` for one SDK copy. The SDK (Babel output) names `Promise` as a free identifier and
 * leaves some internal promises without a handler (e.g. after a kick or logout). A rejection
 * nobody observes is recorded when it is an SDK error, and rethrown (failing the test)
 * otherwise: only the SDK's own internal rejections are swallowed.
 */
function containedPromise(internal: unknown[]): PromiseConstructor {
  class ContainedPromise<T> extends Promise<T> {
    #observed = false;

    constructor(
      executor: (
        resolve: (value: T | PromiseLike<T>) => void,
        reject: (reason?: unknown) => void,
      ) => void,
    ) {
      super(executor);
      if (attaching) return;
      attaching = true;
      try {
        // The derived promise is built while `attaching` is set: it gets no handler itself.
        super.then(undefined, (reason: unknown) => this.#rejected(reason));
      } finally {
        attaching = false;
      }
    }

    // biome-ignore lint/suspicious/noThenProperty: a Promise subclass overrides then on purpose.
    override then<R1 = T, R2 = never>(
      onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
      onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
    ): Promise<R1 | R2> {
      this.#observed = true;
      return super.then(onFulfilled, onRejected);
    }

    #rejected(reason: unknown): void {
      queueMicrotask(() => {
        if (this.#observed) return;
        if (isSdkError(reason)) internal.push(reason);
        else
          setImmediate(() => {
            throw reason;
          });
      });
    }
  }
  return ContainedPromise;
}

const sources = new Map<string, string>();

/**
 * Loads a fresh copy of an SDK package, with its own contained `Promise`; SDK-internal
 * rejections nobody observed land in `internalRejections`.
 */
export function loadSdk(
  pkg: SdkPackage = 'tim-js-sdk',
  internalRejections: unknown[] = [],
): SdkModule {
  installGlobals();
  const path = require.resolve(pkg);
  let source = sources.get(path);
  if (source === undefined) {
    source = readFileSync(path, 'utf8');
    sources.set(path, source);
  }
  const factory = compileFunction(source, ['module', 'exports', 'require', 'Promise'], {
    filename: path,
  });
  const module: { exports: unknown } = { exports: {} };
  factory(module, module.exports, require, containedPromise(internalRejections));
  return module.exports as SdkModule;
}

const EVENTS = [
  'SDK_READY',
  'SDK_NOT_READY',
  'KICKED_OUT',
  'MESSAGE_RECEIVED',
  'MESSAGE_READ_BY_PEER',
  'NET_STATE_CHANGE',
  'PROFILE_UPDATED',
  'ERROR',
] as const;

/** A logged-in (or logging-in) SDK instance with its recorded events. */
export interface TestClient {
  userId: string;
  tim: ChatSDK;
  sdk: SdkModule;
  events: RecordedEvent[];
  /** SDK errors the SDK itself left unhandled (e.g. a sync request refused after a kick). */
  internalRejections: unknown[];
  /** Resolves with the data of the first event `name` (past or future) matching `match`. */
  waitFor(name: string, match?: (data: unknown) => boolean, timeoutMs?: number): Promise<unknown>;
  /** Destroys the SDK instance (logout + cleanup); never rejects. */
  destroy(): Promise<void>;
}

/** Options of {@link createClient}. */
export interface CreateClientOptions {
  wsUrl: string;
  sdkAppId: number;
  userId: string;
  userSig: string;
  pkg?: SdkPackage;
  /** Wait for SDK_READY (default true). */
  ready?: boolean;
}

/** Creates an SDK instance on a fresh module copy, logs it in and (by default) waits for SDK_READY. */
export async function createClient(options: CreateClientOptions): Promise<TestClient> {
  const internalRejections: unknown[] = [];
  const sdk = loadSdk(options.pkg, internalRejections);
  // proxyServer is a real SDK option that the 2.27.6 typings do not declare.
  const createOptions = { SDKAppID: options.sdkAppId, proxyServer: options.wsUrl };
  const tim = sdk.create(createOptions);
  tim.setLogLevel(process.env.SDKLOG ? 0 : 4);
  const events: RecordedEvent[] = [];
  const waiters = new Set<(event: RecordedEvent) => void>();
  for (const key of EVENTS) {
    tim.on(sdk.EVENT[key], (event: { data?: unknown }) => {
      const recorded = { name: key, data: event?.data };
      events.push(recorded);
      for (const waiter of [...waiters]) waiter(recorded);
    });
  }

  function waitFor(name: string, match: (data: unknown) => boolean = () => true, timeoutMs = 8000) {
    const past = events.find((e) => e.name === name && match(e.data));
    if (past) return Promise.resolve(past.data);
    return new Promise<unknown>((resolve, reject) => {
      const waiter = (event: RecordedEvent) => {
        if (event.name !== name || !match(event.data)) return;
        clearTimeout(timer);
        waiters.delete(waiter);
        resolve(event.data);
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`${options.userId}: no ${name} event within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.add(waiter);
    });
  }

  const client: TestClient = {
    userId: options.userId,
    tim,
    sdk,
    events,
    internalRejections,
    waitFor,
    async destroy() {
      await tim.destroy().catch(() => {});
    },
  };
  if (options.ready === false) return client;
  try {
    await tim.login({ userID: options.userId, userSig: options.userSig });
    await waitFor('SDK_READY');
  } catch (error) {
    await client.destroy();
    throw error;
  }
  return client;
}

/** Sends a C2C text message from a test client. */
export function sendC2C(from: TestClient, to: string, text: string) {
  return from.tim.sendMessage(
    from.tim.createTextMessage({
      to,
      conversationType: from.sdk.TYPES.CONV_C2C,
      payload: { text },
    }),
  );
}

/** What {@link recordSentFrames} gives a test. */
export interface SentFrames {
  /** The servcmd of every frame SDK clients sent since recording began (or the last reset), in order. */
  readonly servcmds: string[];
  /** Forgets what was recorded so far. */
  reset(): void;
  /** Stops recording (restores `WebSocket.prototype.send`). */
  stop(): void;
}

/**
 * Records the servcmd of every frame any SDK client of this test file sends, by wrapping the
 * global `WebSocket.prototype.send` the SDK uses: a count of requests, not of time.
 */
export function recordSentFrames(): SentFrames {
  const proto = globalThis.WebSocket.prototype;
  const original = proto.send;
  const servcmds: string[] = [];
  proto.send = function send(this: WebSocket, data: Parameters<WebSocket['send']>[0]) {
    const text =
      typeof data === 'string'
        ? data
        : ArrayBuffer.isView(data)
          ? Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')
          : data instanceof ArrayBuffer
            ? Buffer.from(data).toString('utf8')
            : '';
    try {
      const head = (JSON.parse(text) as { head?: { servcmd?: unknown } }).head;
      servcmds.push(typeof head?.servcmd === 'string' ? head.servcmd : '(no servcmd)');
    } catch {
      servcmds.push('(not JSON)');
    }
    return original.call(this, data);
  };
  return {
    servcmds,
    reset: () => {
      servcmds.length = 0;
    },
    stop: () => {
      proto.send = original;
    },
  };
}
