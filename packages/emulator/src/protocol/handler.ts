import type { Delivery } from '../delivery.js';
import type { EmulatorState } from '../emulator-state.js';
import type { Connection, Session, SessionRegistry } from '../sessions.js';
import type { FrameHead } from './frame.js';

/** What the protocol handlers share. */
export interface ProtocolDeps {
  state: EmulatorState;
  sessions: SessionRegistry;
  delivery: Delivery;
  sdkAppId: number;
  secretKey: string;
  now: () => number;
}

/** One request, as a handler sees it. */
export interface RequestContext {
  connection: Connection;
  head: FrameHead;
  body: Record<string, unknown>;
}

/** A request from a logged-in session. */
export interface SessionRequestContext extends RequestContext {
  session: Session;
}

/** A servcmd's handler: returns the reply body, or throws a `TimCodeError`. */
export type ProtocolHandler =
  | { auth: false; handle: (ctx: RequestContext) => Record<string, unknown> }
  | { auth: true; handle: (ctx: SessionRequestContext) => Record<string, unknown> };

/** Handlers by servcmd. */
export type HandlerTable = Record<string, ProtocolHandler>;

/** Reads a string field of a request body ('' when absent or not a string). */
export function str(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  return typeof value === 'string' ? value : '';
}

/** Reads a non-negative integer field of a request body (`fallback` when absent or bad). */
export function int(body: Record<string, unknown>, key: string, fallback: number): number {
  const value = body[key];
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? Math.floor(value)
    : fallback;
}

/** Reads an array field of a request body ([] when absent or not an array). */
export function list(body: Record<string, unknown>, key: string): unknown[] {
  const value = body[key];
  return Array.isArray(value) ? value : [];
}

/** True for a plain object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
