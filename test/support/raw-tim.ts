/**
 * Loads the unmodified tim-js-sdk in Node the way any third-party script would: browser-ish
 * globals set by hand, one fresh module copy per user (TIM.create is a singleton per SDKAppID
 * within one module copy). Test code only: clawlink's own TimClient touches no globals.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

// biome-ignore lint/suspicious/noExplicitAny: the SDK is untyped JavaScript as far as this test is concerned
export type RawTim = any;

class FailFastXhr {
  readyState = 0;
  status = 0;
  onreadystatechange: (() => void) | null = null;
  open() {}
  setRequestHeader() {}
  abort() {}
  send() {
    setImmediate(() => {
      this.readyState = 4;
      this.onreadystatechange?.();
    });
  }
}

function installGlobals(): void {
  const g = globalThis as Record<string, unknown>;
  const noop = () => {};
  g.window ??= {
    navigator: { userAgent: 'e2e', cookieEnabled: false },
    addEventListener: noop,
    removeEventListener: noop,
  };
  g.document ??= { charset: 'UTF-8' };
  g.XMLHttpRequest ??= FailFastXhr;
}

/** A fresh copy of the SDK module, so each user gets its own TIM instance. */
export function loadTim(): RawTim {
  installGlobals();
  const file = require.resolve('tim-js-sdk');
  delete require.cache[file];
  return require(file);
}

/** Creates an SDK instance pointed at `server`, logs `userId` in and waits for SDK_READY. */
export async function loginRaw(
  server: string,
  sdkAppId: number,
  userId: string,
  userSig: string,
): Promise<{ TIM: RawTim; tim: RawTim }> {
  const TIM = loadTim();
  const tim = TIM.create({ SDKAppID: sdkAppId, proxyServer: server });
  tim.setLogLevel(4);
  const ready = new Promise<void>((resolve) => tim.on(TIM.EVENT.SDK_READY, () => resolve()));
  await tim.login({ userID: userId, userSig });
  await ready;
  return { TIM, tim };
}

/** Resolves with the next message `tim` receives that matches `predicate`. */
export function nextMessage(
  TIM: RawTim,
  tim: RawTim,
  predicate: (message: RawTim) => boolean,
): Promise<RawTim> {
  return new Promise((resolve) => {
    const onMessage = (event: { data: RawTim[] }) => {
      const hit = event.data.find(predicate);
      if (!hit) return;
      tim.off(TIM.EVENT.MESSAGE_RECEIVED, onMessage);
      resolve(hit);
    };
    tim.on(TIM.EVENT.MESSAGE_RECEIVED, onMessage);
  });
}
