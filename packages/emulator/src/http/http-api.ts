import type { IncomingMessage, ServerResponse } from 'node:http';
import { TimCodeError } from '../protocol/tim-codes.js';
import { createAdminRoutes } from './admin-routes.js';
import { createExchangeRoutes } from './exchange-routes.js';
import { badRequest, HttpError } from './http-error.js';
import { readJsonBody } from './json-body.js';
import type { HttpApiEmulator, HttpApiOptions, RouteAnswer } from './route-types.js';
import { createRouter } from './router.js';

export type { HttpApiEmulator, HttpApiOptions } from './route-types.js';

/**
 * The emulator's HTTP API: the admin API under `/admin/...` and the credential exchange under
 * `/v1/agents...` (both in the README). The emulator's server mounts the returned listener for
 * every request that is not a WebSocket upgrade.
 *
 * Every answer is JSON. Errors are `{"error": {"code", "message"}}`: 400 `bad_request` for a
 * malformed request (the message names the field and what to send), 404 `not_found`, 405
 * `method_not_allowed` (with `Allow`), 409 `conflict` when the emulator refuses the operation
 * with a `TimCodeError` (its message says why), 500 `internal` for anything else (logged). Bodies are validated completely
 * before the emulator is called, so a bad request never changes state.
 */
export function createHttpApi(
  emulator: HttpApiEmulator,
  options: HttpApiOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const router = createRouter([
    ...createExchangeRoutes(emulator, options),
    ...createAdminRoutes(emulator, options),
  ]);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = parseUrl(req.url);
    const match = router.match(req.method ?? 'GET', url.pathname);
    if (match.kind === 'not-found') {
      throw new HttpError(404, 'not_found', `no route ${url.pathname}; see the emulator README`);
    }
    if (match.kind === 'method-not-allowed') {
      throw new HttpError(
        405,
        'method_not_allowed',
        `${req.method} is not allowed on ${url.pathname}; use ${match.allow.join(' or ')}`,
        { headers: { Allow: match.allow.join(', ') } },
      );
    }
    const body = match.route.method === 'GET' ? undefined : await readJsonBody(req);
    let answer: RouteAnswer;
    try {
      answer = match.route.handler({ params: match.params, query: url.searchParams, body });
    } catch (error) {
      // Handlers validate first and then make one emulator call: a TimCodeError is the emulator
      // refusing a well-formed request (unknown owner, duplicate id, ...). Anything else is a
      // failure of the emulator itself (a bug, an unreadable file): 500, logged.
      if (error instanceof TimCodeError) throw new HttpError(409, 'conflict', error.message);
      throw error;
    }
    send(res, answer);
  }

  function fail(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    if (res.headersSent || res.destroyed) return;
    const failure = toHttpError(error);
    if (failure.status === 500) {
      options.log(`http: internal error on ${req.method} ${pathOf(req)}: ${describe(error)}`);
    }
    for (const [name, value] of Object.entries(failure.headers)) res.setHeader(name, value);
    if (!req.complete) {
      // The body was not read to its end (too large, or the client went away): do not keep
      // the connection, whose remaining bytes would be read as the next request.
      res.setHeader('Connection', 'close');
    }
    send(res, {
      status: failure.status,
      body: { error: { code: failure.code, message: failure.message, ...failure.extra } },
    });
  }

  return (req, res) => {
    handle(req, res)
      .catch((error: unknown) => fail(req, res, error))
      .catch((error: unknown) => {
        // Even the error answer failed: drop this request, never the server.
        options.log(`http: could not answer ${req.method} ${pathOf(req)}: ${describe(error)}`);
        res.destroy();
      });
  };
}

function parseUrl(raw: string | undefined): URL {
  try {
    return new URL(raw ?? '/', 'http://emulator.invalid');
  } catch {
    throw badRequest('the request target is not a valid URL path');
  }
}

/** The request's path without its query (which is never logged). */
function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] ?? '/';
}

function send(res: ServerResponse, answer: RouteAnswer): void {
  const text = JSON.stringify(answer.body);
  res.statusCode = answer.status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.setHeader('Cache-Control', 'no-store');
  res.end(text);
}

function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  return new HttpError(500, 'internal', 'the emulator failed to handle the request; see its log');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
