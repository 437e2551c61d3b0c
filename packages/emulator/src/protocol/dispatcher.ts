import type { FaultRegistry } from '../faults.js';
import type { Connection, Session } from '../sessions.js';
import { createBootHandlers } from './boot-handlers.js';
import { createC2CHandlers } from './c2c-handlers.js';
import { createConversationHandlers } from './conversation-handlers.js';
import { failBody, okBody, parseFrame, type RequestFrame } from './frame.js';
import { createGroupHandlers } from './group-handlers.js';
import type { HandlerTable, ProtocolDeps } from './handler.js';
import { createLoginHandlers } from './login-handlers.js';
import { createModifyHandlers } from './modify-handlers.js';
import { createProfileHandlers } from './profile-handlers.js';
import { TIM_CODES, TimCodeError } from './tim-codes.js';

/** What the dispatcher needs beyond the handlers' dependencies. */
export interface DispatcherOptions extends ProtocolDeps {
  faults: FaultRegistry;
  log: (line: string) => void;
}

const LOGOUT = 'im_open_status.wslogout';
/** Distinct unknown servcmds logged (and remembered, so each is logged once); the rest are not. */
const MAX_UNKNOWN_LOGGED = 100;
/** Longest servcmd written to the log; longer ones are cut (a client may send anything). */
const MAX_LOGGED_SERVCMD = 80;

/** `servcmd` as it may appear in the log: cut to {@link MAX_LOGGED_SERVCMD} characters. */
function loggable(servcmd: string): string {
  return servcmd.length <= MAX_LOGGED_SERVCMD
    ? servcmd
    : `${servcmd.slice(0, MAX_LOGGED_SERVCMD)}... (${servcmd.length} characters)`;
}

/**
 * Routes each incoming frame to its servcmd handler and answers it (echoing servcmd and seq).
 * Never throws: malformed frames get a TIM-style error when their seq is readable, unknown
 * servcmds a generic OK (logged once per servcmd), handler failures their TIM error code.
 */
export function createDispatcher(options: DispatcherOptions) {
  const { sessions, faults, log } = options;
  const boot = createBootHandlers(options);
  const table: HandlerTable = {
    ...boot,
    ...createLoginHandlers(options),
    ...createGroupHandlers(options),
    ...createC2CHandlers(options),
    ...createModifyHandlers(options),
    ...createProfileHandlers(options),
    // Replaces boot's static page_get, read reports and getmsg (which it wraps with unread counts).
    ...createConversationHandlers(options, boot),
  };
  const unknownLogged = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();

  function sessionOf(connection: Connection, frame: RequestFrame): Session | undefined {
    const a2 = frame.head.a2;
    if (a2 === undefined) return connection.session;
    const session = sessions.byA2(a2);
    if (session && session.connection !== connection && frame.head.servcmd !== LOGOUT) {
      sessions.attach(session, connection);
    }
    return session;
  }

  function logUnknown(servcmd: string): void {
    const name = loggable(servcmd);
    if (unknownLogged.size > MAX_UNKNOWN_LOGGED || unknownLogged.has(name)) return;
    unknownLogged.add(name);
    if (unknownLogged.size > MAX_UNKNOWN_LOGGED) {
      log(`over ${MAX_UNKNOWN_LOGGED} unknown servcmds: no more unknown servcmds are logged`);
      return;
    }
    log(`unknown servcmd ${name}: answered with a generic OK`);
  }

  function answer(connection: Connection, frame: RequestFrame): Record<string, unknown> {
    const { servcmd } = frame.head;
    const session = sessionOf(connection, frame);
    if (session?.sigExpired && servcmd !== LOGOUT) {
      sessions.end(session);
      return failBody(TIM_CODES.USER_SIG_EXPIRED, 'UserSig expired; log in with a new one');
    }
    const handler = table[servcmd];
    if (!handler) {
      logUnknown(servcmd);
      return okBody();
    }
    try {
      if (!handler.auth) return handler.handle({ connection, head: frame.head, body: frame.body });
      if (!session) {
        return failBody(
          TIM_CODES.INVALID_REQUEST,
          `${servcmd} needs a logged-in session; log in first`,
        );
      }
      return handler.handle({ connection, head: frame.head, body: frame.body, session });
    } catch (error) {
      if (error instanceof TimCodeError) return failBody(error.code, error.message);
      const text = error instanceof Error ? error.message : String(error);
      log(`internal error on ${loggable(servcmd)}: ${text}`);
      return failBody(TIM_CODES.INTERNAL_ERROR, `internal error on ${servcmd}`);
    }
  }

  function respond(connection: Connection, frame: RequestFrame): void {
    sessions.send(connection, frame.head.servcmd, frame.head.seq, answer(connection, frame));
  }

  return {
    /** Handles one WebSocket message from `connection`. */
    handle(connection: Connection, data: Buffer | string): void {
      const parsed = parseFrame(data);
      if (!parsed.ok) {
        log(`malformed frame on connection ${connection.id}: ${parsed.reason}`);
        if (parsed.seq !== undefined) {
          sessions.send(
            connection,
            parsed.servcmd ?? '',
            parsed.seq,
            failBody(TIM_CODES.INVALID_JSON, `malformed frame: ${parsed.reason}`),
          );
        }
        return;
      }
      const frame = parsed.frame;
      const userId = sessionOf(connection, frame)?.userId ?? frame.head.identifier;
      const fault = faults.take(frame.head.servcmd, userId);
      if (!fault) {
        respond(connection, frame);
        return;
      }
      log(
        `fault fired on ${loggable(frame.head.servcmd)} for ${userId ?? 'an anonymous connection'}` +
          `${fault.delayMs ? ` (delay ${fault.delayMs} ms)` : ''}` +
          `${fault.errorCode !== undefined ? ` (error ${fault.errorCode})` : ''}`,
      );
      const fire = () => {
        if (fault.errorCode === undefined) respond(connection, frame);
        else {
          sessions.send(
            connection,
            frame.head.servcmd,
            frame.head.seq,
            failBody(fault.errorCode, fault.errorInfo),
          );
        }
      };
      if (fault.delayMs <= 0) {
        fire();
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        fire();
      }, fault.delayMs);
      timers.add(timer);
    },

    /** Cancels delayed replies. */
    close(): void {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
