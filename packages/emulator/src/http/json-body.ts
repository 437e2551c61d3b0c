import type { IncomingMessage } from 'node:http';
import { badRequest, type HttpError } from './http-error.js';

/** The largest request body the HTTP API reads: 1 MiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads a request body as JSON. An empty body reads as `undefined` (routes with only optional
 * fields accept it); a non-empty one must be declared `application/json`, stay within
 * `maxBytes` and parse. Every failure is a 400 whose message says what to send.
 */
export async function readJsonBody(
  req: IncomingMessage,
  maxBytes: number = MAX_BODY_BYTES,
): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw tooLarge(maxBytes);
  }
  const { chunks, size } = await readUpTo(req, maxBytes);
  if (size === 0) {
    return undefined;
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw badRequest(
      `the body must be JSON sent with "Content-Type: application/json" (got ${type ? `"${type}"` : 'no content type'})`,
    );
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // JSON.parse's own message quotes the body, which may hold an apiKey: never echo it.
    throw badRequest('the body is not valid JSON; send a JSON object');
  }
}

function tooLarge(maxBytes: number): HttpError {
  return badRequest(`the body is larger than ${maxBytes} bytes; send a smaller JSON object`);
}

/**
 * Collects the body's chunks, stopping (paused, not destroyed, so the 400 can still be written)
 * as soon as it grows past `maxBytes`.
 */
function readUpTo(
  req: IncomingMessage,
  maxBytes: number,
): Promise<{ chunks: Buffer[]; size: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        req.pause();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve({ chunks, size });
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
