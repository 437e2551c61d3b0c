/** Test-only: a raw WebSocket to the emulator that speaks TIM frames without the SDK. */
import { afterEach } from 'vitest';
import WebSocket from 'ws';
import type { EmulatorInternals } from '../emulator-internals.js';

/** A TIM frame as the emulator sends it. */
export interface Frame {
  head: { servcmd: string; seq: number };
  body: Record<string, unknown>;
}

/** A raw socket and the frames the emulator sent on it. */
export interface RawSocket {
  socket: WebSocket;
  frames: { frame: Frame; binary: boolean }[];
  /** The reply to request `seq` (waits up to 5 s). */
  reply(seq: number): Promise<{ frame: Frame; binary: boolean }>;
  /** Sends a request and resolves with its reply's body. */
  request(servcmd: string, body?: unknown, head?: object): Promise<Record<string, unknown>>;
  /** {@link RawSocket.request} with the body given as JSON text (for what JSON.stringify cannot build). */
  requestText(servcmd: string, bodyJson: string, head?: object): Promise<Record<string, unknown>>;
}

/** A request frame's text. */
export const frame = (servcmd: string, seq: number, body: unknown = {}, head: object = {}) =>
  JSON.stringify({ head: { servcmd, seq, ...head }, body });

/** Registers afterEach cleanup and returns a function that opens raw sockets. */
export function useRawSockets(): (url: string) => Promise<RawSocket> {
  const sockets: WebSocket[] = [];
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.terminate();
  });
  return async (url) => {
    const socket = new WebSocket(url);
    sockets.push(socket);
    const frames: { frame: Frame; binary: boolean }[] = [];
    socket.on('message', (data, binary) => {
      frames.push({ frame: JSON.parse(data.toString()) as Frame, binary });
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    async function reply(seq: number): Promise<{ frame: Frame; binary: boolean }> {
      const deadline = Date.now() + 5000;
      for (;;) {
        const found = frames.find((f) => f.frame.head.seq === seq);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no reply to seq ${seq}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    let nextSeq = 1_000_000;
    async function requestText(servcmd: string, bodyJson: string, head: object = {}) {
      nextSeq += 1;
      const headJson = JSON.stringify({ servcmd, seq: nextSeq, ...head });
      socket.send(`{"head":${headJson},"body":${bodyJson}}`);
      return (await reply(nextSeq)).frame.body;
    }
    const request = (servcmd: string, body: unknown = {}, head: object = {}) =>
      requestText(servcmd, JSON.stringify(body), head);
    return { socket, frames, reply, request, requestText };
  };
}

/** Logs `userId` in on a raw socket and returns its A2 key (for the `a2` head of requests). */
export async function rawLogin(
  raw: RawSocket,
  emulator: EmulatorInternals,
  userId: string,
): Promise<string> {
  const body = await raw.request(
    'im_open_status.wslogin',
    {},
    { identifier: userId, usersig: emulator.userSig(userId), sdkappid: emulator.sdkAppId },
  );
  if (typeof body.A2Key !== 'string')
    throw new Error(`login of ${userId} failed: ${JSON.stringify(body)}`);
  return body.A2Key;
}
