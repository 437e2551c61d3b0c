import type { CredentialErrorReason } from '../errors/credential-error.js';
import { redactString } from '../logging/redact.js';
import type { TimCredentials } from './credential-source.js';
import { parseRetryAfter } from './retry-after.js';

/** One request to a credential exchange. */
export interface ExchangeRequestOptions {
  /** Base URL of the exchange; `/v1/agents/credentials` is appended. */
  endpoint: string;
  agentId: string;
  apiKey: string;
  fetch: typeof fetch;
  /** Clock in milliseconds since the epoch, for an HTTP-date `Retry-After`. */
  now: () => number;
  /** The request (and reading its answer) is aborted after this many milliseconds. */
  timeoutMs: number;
}

/**
 * What the exchange answered. A failure carries a message that is safe to show and log (it
 * never contains the apiKey or a UserSig) and, for a 429, the wait the exchange asked for.
 */
export type ExchangeOutcome =
  | { ok: true; credentials: TimCredentials }
  | {
      ok: false;
      reason: CredentialErrorReason;
      message: string;
      /** HTTP status, when there was an answer. */
      status?: number;
      /** Only for `cooldown`: the wait the exchange asked for, when it said. */
      retryAfterMs?: number;
      /** The network error, for debugging; never an answer body. */
      cause?: unknown;
    };

const MAX_SERVER_MESSAGE_CHARS = 300;

/** The endpoint as it may appear in messages: no user info, query or fragment. */
export function describeEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  } catch {
    return 'an unparsable URL';
  }
}

/**
 * Asks a clawlink credential exchange for TIM credentials (the contract in
 * `@clawlink/emulator`'s README) and classifies the answer. Never throws.
 */
export async function requestExchangeCredentials(
  options: ExchangeRequestOptions,
): Promise<ExchangeOutcome> {
  const where = describeEndpoint(options.endpoint);
  let url: URL;
  try {
    url = new URL(`${options.endpoint.replace(/\/+$/, '')}/v1/agents/credentials`);
  } catch {
    return {
      ok: false,
      reason: 'invalid',
      message:
        'The credential exchange endpoint is not a valid URL; set `endpoint` to the base URL of the exchange, e.g. https://exchange.example.com.',
    };
  }

  let response: Response;
  let text: string;
  try {
    response = await options.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ agentId: options.agentId, apiKey: options.apiKey }),
      signal: AbortSignal.timeout(options.timeoutMs),
      // Following a redirect would re-send the apiKey to wherever it points.
      redirect: 'manual',
    });
    text = await response.text();
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    return {
      ok: false,
      reason: 'unreachable',
      message: timedOut
        ? `The credential exchange at ${where} did not answer within ${options.timeoutMs} ms; clawlink will retry. Check that the service is up and reachable from this host.`
        : `Could not reach the credential exchange at ${where} (${networkErrorText(error)}); clawlink will retry. Check the endpoint and the network.`,
      cause: error,
    };
  }

  const { status } = response;
  if (status === 200) return parseCredentials(text, where);

  const error = parseErrorBody(text);
  const serverSays = error.message
    ? ` The exchange said: "${sanitise(error.message, options.apiKey)}".`
    : '';
  const agent = `agent "${options.agentId}"`;
  if (status === 401) {
    return {
      ok: false,
      reason: 'invalid',
      status,
      message: `The credential exchange at ${where} refused ${agent}: unknown agentId or wrong apiKey.${serverSays} Check the agentId and apiKey in the account's configuration.`,
    };
  }
  if (status === 403 && error.code === 'unclaimed') {
    return {
      ok: false,
      reason: 'unclaimed',
      status,
      message: `${capitalise(agent)} is registered but not claimed by its owner yet.${serverSays} Ask the owner to claim it; clawlink keeps checking.`,
    };
  }
  if (status === 403 && error.code === 'revoked') {
    return {
      ok: false,
      reason: 'revoked',
      status,
      message: `${capitalise(agent)} has been revoked at the credential exchange.${serverSays} Register a new agent (or ask its owner to restore it) and update the configuration.`,
    };
  }
  if (status === 429) {
    const retryAfterMs =
      error.retryAfterMs ?? parseRetryAfter(response.headers.get('retry-after'), options.now());
    return {
      ok: false,
      reason: 'cooldown',
      status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      message: `The credential exchange at ${where} is rate limiting ${agent}.${serverSays} clawlink waits before asking again.`,
    };
  }
  if (status >= 500) {
    return {
      ok: false,
      reason: 'unreachable',
      status,
      message: `The credential exchange at ${where} failed with HTTP ${status}.${serverSays} clawlink will retry; if this persists, check the service.`,
    };
  }
  if (status >= 300 && status < 400) {
    return {
      ok: false,
      reason: 'invalid',
      status,
      message: `The credential exchange at ${where} answered with a redirect (HTTP ${status}); clawlink does not follow redirects, so the apiKey is only ever sent to the configured endpoint. Set \`endpoint\` to the exchange's final URL.`,
    };
  }
  const code = error.code ? ` (${sanitise(error.code, options.apiKey)})` : '';
  return {
    ok: false,
    reason: 'invalid',
    status,
    message: `The credential exchange at ${where} rejected the request for ${agent} with HTTP ${status}${code}.${serverSays} Check the endpoint, agentId and apiKey in the account's configuration.`,
  };
}

function parseCredentials(text: string, where: string): ExchangeOutcome {
  const fail = (problem: string): ExchangeOutcome => ({
    ok: false,
    reason: 'unreachable',
    status: 200,
    message: `The credential exchange at ${where} answered 200 but ${problem}; expected JSON {sdkAppId, userId, userSig, expiresAt}. clawlink will retry; check that the endpoint points at a clawlink credential exchange.`,
  });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // The parser's message can quote the body, which may hold a UserSig: do not keep it.
    return fail('not with JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fail('not with a JSON object');
  }
  const { sdkAppId, userId, userSig, expiresAt } = body as Record<string, unknown>;
  if (typeof sdkAppId !== 'number' || !Number.isSafeInteger(sdkAppId) || sdkAppId <= 0) {
    return fail('without a positive integer sdkAppId');
  }
  if (typeof userId !== 'string' || userId === '') return fail('without a userId');
  if (typeof userSig !== 'string' || userSig === '') return fail('without a userSig');
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt) || expiresAt <= 0) {
    return fail('without a numeric expiresAt (milliseconds since the epoch)');
  }
  return { ok: true, credentials: { sdkAppId, userId, userSig, expiresAt } };
}

interface ErrorBody {
  code?: string;
  message?: string;
  retryAfterMs?: number;
}

/** Reads `{"error": {"code", "message", "retryAfterMs"}}` (or a top-level `retryAfterMs`). */
function parseErrorBody(text: string): ErrorBody {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof body !== 'object' || body === null) return {};
  const top = body as Record<string, unknown>;
  const inner =
    typeof top.error === 'object' && top.error !== null
      ? (top.error as Record<string, unknown>)
      : {};
  const result: ErrorBody = {};
  if (typeof inner.code === 'string') result.code = inner.code;
  if (typeof inner.message === 'string') result.message = inner.message;
  const wait = inner.retryAfterMs ?? top.retryAfterMs;
  if (typeof wait === 'number' && Number.isFinite(wait) && wait >= 0) result.retryAfterMs = wait;
  return result;
}

/** A server's text, shortened and with the apiKey cut out should the server have echoed it. */
function sanitise(text: string, apiKey: string): string {
  const cut = redactString(text, [apiKey]);
  return cut.length > MAX_SERVER_MESSAGE_CHARS ? `${cut.slice(0, MAX_SERVER_MESSAGE_CHARS)}…` : cut;
}

function networkErrorText(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error && 'code' in cause && typeof cause.code === 'string') {
    return cause.code;
  }
  return error instanceof Error ? error.name : 'network error';
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
