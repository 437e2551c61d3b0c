import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { checkUserId, createUserSig } from '@clawlink/usersig';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { createDelivery } from './delivery.js';
import type { EmulatorInternals } from './emulator-internals.js';
import { createEmulatorState } from './emulator-state.js';
import { createFaultRegistry } from './faults.js';
import { createHttpApi } from './http/http-api.js';
import { createDispatcher } from './protocol/dispatcher.js';
import { contentToWire } from './protocol/message-content.js';
import { TIM_CODES, TimCodeError } from './protocol/tim-codes.js';
import { KICK_TYPES } from './protocol/wire.js';
import { createSessionRegistry } from './sessions.js';
import { toPublicMessage } from './state/messages.js';
import { openStorage } from './storage/open-storage.js';
import type { EmulatorOptions } from './types.js';

/** Default validity of `userSig()`: one day. */
const DEFAULT_SIG_SECONDS = 86_400;
/** Largest WebSocket frame accepted (a TIM message is at most 12 KB; history replies are small). */
const MAX_FRAME_BYTES = 4 * 1024 * 1024;

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

/**
 * Starts an emulator: one HTTP server on `host:port` carrying the TIM WebSocket (`/binfo`
 * binary frames, `/info` text frames) and the HTTP admin API / credential exchange.
 */
export async function startEmulator(options: EmulatorOptions): Promise<EmulatorInternals> {
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const host = options.host ?? '127.0.0.1';
  const { sdkAppId, secretKey } = options;
  if (!Number.isSafeInteger(sdkAppId) || sdkAppId <= 0) {
    throw new TypeError(`sdkAppId must be a positive integer, got ${String(sdkAppId)}`);
  }
  if (typeof secretKey !== 'string' || secretKey === '') {
    throw new TypeError('secretKey must be a non-empty string');
  }

  const storage = openStorage(options.dbPath);
  const state = createEmulatorState({ storage, now });
  const sessions = createSessionRegistry();
  const delivery = createDelivery(state, sessions);
  const faults = createFaultRegistry();
  const dispatcher = createDispatcher({
    state,
    sessions,
    delivery,
    faults,
    sdkAppId,
    secretKey,
    now,
    log,
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  let httpHandler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 404;
    res.end();
  };
  const server = createServer((req, res) => httpHandler(req, res));

  function onConnection(ws: WebSocket, binary: boolean, query: URLSearchParams): void {
    ws.on('error', () => {});
    // Without an instanceid every socket counts as its own SDK instance.
    const connection = sessions.open(
      ws,
      binary,
      query.get('instanceid') ?? `anonymous-${randomUUID()}`,
      query.get('platform') ?? '',
    );
    ws.on('message', (data) => dispatcher.handle(connection, toBuffer(data)));
    ws.on('close', () => sessions.closed(connection));
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://emulator.invalid');
    } catch {
      socket.destroy();
      return;
    }
    if (url.pathname !== '/binfo' && url.pathname !== '/info') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) =>
      onConnection(ws, url.pathname === '/binfo', url.searchParams),
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    storage.close();
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  function requireGroupPublic(groupId: string) {
    const group = state.getGroup(groupId);
    if (!group) {
      throw new TimCodeError(TIM_CODES.GROUP_NOT_FOUND, `group "${groupId}" does not exist`);
    }
    return state.toPublicGroup(group);
  }

  let closing: Promise<void> | undefined;

  const emulator: EmulatorInternals = {
    wsUrl: `ws://${urlHost}:${port}`,
    adminUrl: `http://${urlHost}:${port}`,
    port,
    sdkAppId,

    userSig(userId, expireSeconds = DEFAULT_SIG_SECONDS) {
      const problem = checkUserId(userId);
      if (problem) throw new TimCodeError(TIM_CODES.INVALID_USER_ID, `invalid UserID: ${problem}`);
      // A sig signed in the second of an expireUserSig() mark would be refused: sign after it.
      const notBefore = ((state.getUser(userId)?.sigsExpiredAtSeconds ?? 0) + 1) * 1000;
      return createUserSig({
        sdkAppId,
        secretKey,
        userId,
        expireSeconds,
        now: () => Math.max(now(), notBefore),
      });
    },

    createUser: (userId, profile) => state.toPublicUser(state.createUser(userId, profile?.nick)),
    getUser(userId) {
      const user = state.getUser(userId);
      return user && state.toPublicUser(user);
    },
    listUsers: () => state.listUsers().map(state.toPublicUser),
    onlineUsers: () => sessions.onlineUsers(),
    loginCount: (userId) => sessions.loginCount(userId),

    createGroup: (input) => state.toPublicGroup(state.createGroup(input)),
    getGroup(groupId) {
      const group = state.getGroup(groupId);
      return group && state.toPublicGroup(group);
    },
    listGroups: () => state.listGroups().map(state.toPublicGroup),
    addMembers(groupId, userIds) {
      state.addMembers(groupId, userIds);
      return requireGroupPublic(groupId);
    },
    removeMembers(groupId, userIds) {
      state.removeMembers(groupId, userIds);
      return requireGroupPublic(groupId);
    },
    dismissGroup(groupId) {
      state.dismissGroup(groupId);
    },

    postGroupMessage({ groupId, from, content, cloudCustomData }) {
      const wire = contentToWire(content);
      const message = state.sendGroupMessage(
        groupId,
        { from, ...wire, ...(cloudCustomData !== undefined ? { cloudCustomData } : {}) },
        false,
      );
      delivery.groupMessage(message);
      return toPublicMessage(message);
    },
    postC2CMessage({ from, to, content, cloudCustomData }) {
      const { msgBody } = contentToWire(content);
      const message = state.sendC2CMessage(to, {
        from,
        msgBody,
        ...(cloudCustomData !== undefined ? { cloudCustomData } : {}),
      });
      delivery.c2cMessage(message);
      return toPublicMessage(message);
    },
    groupHistory: (groupId, limit = 100) =>
      state.groupMessages(groupId, limit).reverse().map(toPublicMessage),
    c2cHistory: (userA, userB, limit = 100) =>
      state.c2cMessages(userA, userB, limit).reverse().map(toPublicMessage),

    setNick(userId, nick) {
      const user = state.setNick(userId, nick);
      delivery.nickChanged(userId, nick);
      return state.toPublicUser(user);
    },
    kick(userId) {
      for (const session of sessions.sessionsOf(userId)) {
        delivery.kick(session, KICK_TYPES.restApi);
      }
    },
    expireUserSig(userId) {
      state.expireSigs(userId);
      for (const session of sessions.sessionsOf(userId)) session.sigExpired = true;
    },
    dropConnections(userId) {
      for (const connection of sessions.connections()) {
        if (userId === undefined || connection.session?.userId === userId) {
          connection.ws.terminate();
        }
      }
    },
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),

    registerAgent: (input) => state.registerAgent(input),
    claimAgent: (agentId) => state.claimAgent(agentId),
    revokeAgent: (agentId) => state.revokeAgent(agentId),
    getAgent: (agentId) => state.getAgent(agentId),
    verifyAgentKey: (agentId, apiKey) => state.verifyAgentKey(agentId, apiKey),

    close() {
      closing ??= new Promise<void>((resolve) => {
        dispatcher.close();
        for (const connection of sessions.connections()) connection.ws.terminate();
        wss.close();
        server.close(() => {
          storage.close();
          resolve();
        });
        server.closeAllConnections();
      });
      return closing;
    },
  };

  httpHandler = createHttpApi(emulator, {
    sdkAppId,
    credentialTtlSeconds: options.credentialTtlSeconds ?? DEFAULT_SIG_SECONDS,
    exchangeRateLimit: options.exchangeRateLimit ?? { attempts: 20, windowMs: 60_000 },
    now,
    log,
  });

  return emulator;
}
