import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import { encodeFrame } from './protocol/frame.js';

/** One WebSocket from an SDK instance. */
export interface Connection {
  readonly id: number;
  readonly ws: WebSocket;
  /** `/binfo` (binary frames) or `/info` (text frames). */
  readonly binary: boolean;
  /** The SDK instance id from the URL (`instanceid`); stable across its reconnects. */
  readonly instanceId: string;
  /** The SDK's platform from the URL (`platform`, 7 for the web SDK); '' when absent. */
  readonly platform: string;
  /** The logged-in session this connection carries, once it has one. */
  session?: Session;
}

/** A logged-in SDK instance: it survives reconnects through its A2 key. */
export interface Session {
  readonly a2: string;
  readonly userId: string;
  readonly tinyId: string;
  /** TIM's instance number (non-zero). */
  readonly instId: number;
  readonly instanceId: string;
  /** The platform of the connection that logged in. */
  readonly platform: string;
  /** Issue time (seconds) of the UserSig the session logged in with. */
  readonly sigIssuedAt: number;
  /** The connection currently carrying the session, if any. */
  connection?: Connection;
  /** Set by `expireUserSig`: the next request is answered with 70001 and ends the session. */
  sigExpired: boolean;
  /**
   * C2C messages (wire items) pushed while the session had no open socket, oldest first (at
   * most {@link MAX_MISSED}); the SDK fetches them with `openim.getmsg` after it reconnects,
   * as TIM delivers offline C2C messages. Missed group messages are not replayed (TIM's SDK
   * does not either): a client catches up on them through the group history.
   */
  missedC2C: Record<string, unknown>[];
}

/** The most missed C2C messages a disconnected session keeps (the oldest are dropped). */
export const MAX_MISSED = 1000;

/**
 * A push whose body is serialised once, to be sent to any number of sessions: each frame
 * differs only in its head's `seq`, which is spliced in per session.
 */
export interface PreparedPush {
  /** The frame's text up to the seq: `{"head":{"servcmd":...,"seq":`. */
  readonly prefix: string;
  /** The frame's text after the seq, with the serialised body. */
  readonly suffix: string;
}

/**
 * Serialises a push once; the registry's `pushPrepared` then sends it to each session as
 * `encodeFrame(servcmd, seq, body)` would, with that push's own seq.
 */
export function preparePush(servcmd: string, body: unknown): PreparedPush {
  return {
    prefix: `{"head":{"servcmd":${JSON.stringify(servcmd)},"seq":`,
    suffix: `,"ver":"v4"},"body":${JSON.stringify(body)}}`,
  };
}

/** Connections, sessions and their A2 keys; sends replies and pushes. */
export type SessionRegistry = ReturnType<typeof createSessionRegistry>;

/** Creates an empty registry. */
export function createSessionRegistry() {
  const connections = new Set<Connection>();
  const sessions = new Map<string, Session>();
  /** The live sessions of each user, so a push finds its recipients without a scan. */
  const byUser = new Map<string, Set<Session>>();
  let nextConnectionId = 0;
  let nextInstId = 0;
  let pushSeq = 0;
  const logins = new Map<string, number>();

  /** Sends a frame; false when the socket is no longer open. */
  function send(connection: Connection, servcmd: string, seq: number, body: unknown): boolean {
    if (connection.ws.readyState !== connection.ws.OPEN) return false;
    const text = encodeFrame(servcmd, seq, body);
    connection.ws.send(connection.binary ? Buffer.from(text, 'utf8') : text);
    return true;
  }

  /**
   * Pushes a {@link preparePush} (serialised once for any number of sessions) to one session's
   * connection, with a seq of its own; false when it has no open socket.
   */
  function pushPrepared(session: Session, push: PreparedPush): boolean {
    const connection = session.connection;
    if (!connection) return false;
    pushSeq += 1;
    if (connection.ws.readyState !== connection.ws.OPEN) return false;
    const text = push.prefix + pushSeq + push.suffix;
    connection.ws.send(connection.binary ? Buffer.from(text, 'utf8') : text);
    return true;
  }

  function live(userId?: string): Session[] {
    if (userId === undefined) return [...sessions.values()];
    const own = byUser.get(userId);
    return own ? [...own] : [];
  }

  return {
    /** Registers a new socket. */
    open(ws: WebSocket, binary: boolean, instanceId: string, platform: string): Connection {
      nextConnectionId += 1;
      const connection: Connection = { id: nextConnectionId, ws, binary, instanceId, platform };
      connections.add(connection);
      return connection;
    },

    /** Forgets a closed socket; its session stays (the SDK reconnects with the A2 key). */
    closed(connection: Connection): void {
      connections.delete(connection);
      const session = connection.session;
      if (session?.connection === connection) session.connection = undefined;
    },

    /** Starts a session for a successful login on `connection`. */
    start(
      connection: Connection,
      user: { userId: string; tinyId: string },
      sigIssuedAt: number,
    ): Session {
      nextInstId += 1;
      logins.set(user.userId, (logins.get(user.userId) ?? 0) + 1);
      const session: Session = {
        a2: randomBytes(24).toString('hex'),
        userId: user.userId,
        tinyId: user.tinyId,
        instId: nextInstId,
        instanceId: connection.instanceId,
        platform: connection.platform,
        sigIssuedAt,
        connection,
        sigExpired: false,
        missedC2C: [],
      };
      sessions.set(session.a2, session);
      const own = byUser.get(session.userId);
      if (own) own.add(session);
      else byUser.set(session.userId, new Set([session]));
      connection.session = session;
      return session;
    },

    /** The live session an A2 key belongs to. */
    byA2: (a2: string): Session | undefined => sessions.get(a2),

    /** Moves a session onto `connection` (a reconnect). */
    attach(session: Session, connection: Connection): void {
      session.connection = connection;
      connection.session = session;
    },

    /** Ends a session: its A2 key is refused from now on. */
    end(session: Session): void {
      sessions.delete(session.a2);
      const own = byUser.get(session.userId);
      own?.delete(session);
      if (own?.size === 0) byUser.delete(session.userId);
      if (session.connection?.session === session) session.connection.session = undefined;
      session.connection = undefined;
    },

    /** Live sessions, all or one user's. */
    sessionsOf: live,

    /** UserSig logins (new sessions) of `userId` so far; A2-key resumes are not counted. */
    loginCount: (userId: string): number => logins.get(userId) ?? 0,

    /** Users with a session whose socket is open. */
    onlineUsers(): string[] {
      return [
        ...new Set(
          live()
            .filter((s) => s.connection)
            .map((s) => s.userId),
        ),
      ];
    },

    send,

    /** Pushes to one session's connection; false when it has no open socket. */
    pushTo: (session: Session, servcmd: string, body: unknown): boolean =>
      pushPrepared(session, preparePush(servcmd, body)),

    pushPrepared,

    /** Every open connection (to drop or close them). */
    connections: (): Connection[] => [...connections],
  };
}
