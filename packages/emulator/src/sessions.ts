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
  /** Issue time (seconds) of the UserSig the session logged in with. */
  readonly sigIssuedAt: number;
  /** The connection currently carrying the session, if any. */
  connection?: Connection;
  /** Set by `expireUserSig`: the next request is answered with 70001 and ends the session. */
  sigExpired: boolean;
}

/** Connections, sessions and their A2 keys; sends replies and pushes. */
export type SessionRegistry = ReturnType<typeof createSessionRegistry>;

/** Creates an empty registry. */
export function createSessionRegistry() {
  const connections = new Set<Connection>();
  const sessions = new Map<string, Session>();
  let nextConnectionId = 0;
  let nextInstId = 0;
  let pushSeq = 0;

  function send(connection: Connection, servcmd: string, seq: number, body: unknown): void {
    if (connection.ws.readyState !== connection.ws.OPEN) return;
    const text = encodeFrame(servcmd, seq, body);
    connection.ws.send(connection.binary ? Buffer.from(text, 'utf8') : text);
  }

  function live(userId?: string): Session[] {
    return [...sessions.values()].filter((s) => userId === undefined || s.userId === userId);
  }

  return {
    /** Registers a new socket. */
    open(ws: WebSocket, binary: boolean, instanceId: string): Connection {
      nextConnectionId += 1;
      const connection: Connection = { id: nextConnectionId, ws, binary, instanceId };
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
      const session: Session = {
        a2: randomBytes(24).toString('hex'),
        userId: user.userId,
        tinyId: user.tinyId,
        instId: nextInstId,
        instanceId: connection.instanceId,
        sigIssuedAt,
        connection,
        sigExpired: false,
      };
      sessions.set(session.a2, session);
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
      if (session.connection?.session === session) session.connection.session = undefined;
      session.connection = undefined;
    },

    /** Live sessions, all or one user's. */
    sessionsOf: live,

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

    /** Pushes to every connected session of `userId`, except the connection `except`. */
    push(userId: string, servcmd: string, body: unknown, except?: Connection): void {
      for (const session of live(userId)) {
        if (session.connection && session.connection !== except) {
          pushSeq += 1;
          send(session.connection, servcmd, pushSeq, body);
        }
      }
    },

    /** Pushes to one session's connection, if it has one. */
    pushTo(session: Session, servcmd: string, body: unknown): void {
      if (!session.connection) return;
      pushSeq += 1;
      send(session.connection, servcmd, pushSeq, body);
    },

    /** Every open connection (to drop or close them). */
    connections: (): Connection[] => [...connections],
  };
}
