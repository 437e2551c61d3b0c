import type { Emulator } from '../types.js';
import type { Route } from './router.js';

/**
 * What the HTTP layer needs from the emulator: its public {@link Emulator} API plus the
 * internal apiKey check of the credential exchange (apiKeys are stored by the core, never
 * exposed by the public API).
 */
export interface HttpApiEmulator extends Emulator {
  /** True when `agentId` is registered and `apiKey` is its key (compared in constant time). */
  verifyAgentKey(agentId: string, apiKey: string): boolean;
}

/** Settings of the HTTP layer, taken from the emulator's resolved options. */
export interface HttpApiOptions {
  sdkAppId: number;
  /** Lifetime of UserSigs the credential exchange issues, in seconds. */
  credentialTtlSeconds: number;
  /** Credential-exchange attempts allowed per agent per window before 429. */
  exchangeRateLimit: { attempts: number; windowMs: number };
  /** Clock in milliseconds since the epoch. */
  now: () => number;
  /** One line per notable event; never receives an apiKey or a UserSig. */
  log: (line: string) => void;
}

/** What a route handler receives. */
export interface RouteRequest {
  /** Decoded `:name` path segments. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body; `undefined` when empty (and for GET). */
  body: unknown;
}

/** What a route handler answers: a status and a JSON body. */
export interface RouteAnswer {
  status: number;
  body: unknown;
}

/** A route of the HTTP API. */
export type ApiRoute = Route<(request: RouteRequest) => RouteAnswer>;
