/**
 * An error the HTTP layer answers with: a status, a stable code and a message that says what
 * went wrong and what to send instead. Thrown by body parsing, validation and route handlers,
 * turned into `{"error": {"code", "message", ...extra}}` by the API's dispatcher.
 */
export class HttpError extends Error {
  /** The HTTP status to answer with. */
  readonly status: number;
  /** The stable machine-readable code, e.g. `bad_request`. */
  readonly code: string;
  /** Extra headers for the answer, e.g. `Retry-After`. */
  readonly headers: Readonly<Record<string, string>>;
  /** Extra fields for the error object, e.g. `retryAfterMs`. */
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { headers?: Record<string, string>; extra?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.headers = options.headers ?? {};
    this.extra = options.extra ?? {};
  }
}

/** A 400 `bad_request`: the request's shape is wrong; the message names the field. */
export function badRequest(message: string): HttpError {
  return new HttpError(400, 'bad_request', message);
}

/** A 404 `not_found`: the route or the resource it names does not exist. */
export function notFound(message: string): HttpError {
  return new HttpError(404, 'not_found', message);
}
