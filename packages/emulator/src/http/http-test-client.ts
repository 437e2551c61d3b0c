/**
 * Test support for the HTTP API tests: a tiny JSON client over global fetch, and the raw
 * request variant the 400 tests need. Not part of the package's build.
 */

/** The error object every non-2xx answer carries. */
export interface ApiErrorBody {
  code: string;
  message: string;
  retryAfterMs?: number;
}

/** An answer: status, headers and the parsed JSON body. */
export interface ApiAnswer<T> {
  status: number;
  headers: Headers;
  body: T & { error?: ApiErrorBody };
}

/** A JSON client bound to one emulator's admin URL. */
export interface ApiClient {
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<ApiAnswer<T>>;
  raw(
    method: string,
    path: string,
    init: { body?: string; contentType?: string },
  ): Promise<ApiAnswer<Record<string, unknown>>>;
}

/** Builds an {@link ApiClient} for `baseUrl` (`http://host:port`). */
export function createApiClient(baseUrl: string): ApiClient {
  async function send<T>(method: string, path: string, init: RequestInit): Promise<ApiAnswer<T>> {
    const response = await fetch(new URL(path, baseUrl), { method, ...init });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text === '' ? {} : JSON.parse(text)) as T & { error?: ApiErrorBody },
    };
  }
  return {
    call(method, path, body) {
      return send(
        method,
        path,
        body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } },
      );
    },
    raw(method, path, init) {
      return send(method, path, {
        ...(init.body === undefined ? {} : { body: init.body }),
        headers: init.contentType === undefined ? {} : { 'content-type': init.contentType },
      });
    },
  };
}
