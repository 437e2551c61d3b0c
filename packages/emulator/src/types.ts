/**
 * The emulator's public contract. `startEmulator()` resolves to an {@link Emulator}; the HTTP
 * admin API (see README) maps one-to-one onto its methods.
 */

/** Group types the emulator supports, with TIM's names. */
export type GroupType = 'Public' | 'Work' | 'Meeting';

/** Options for `startEmulator`. */
export interface EmulatorOptions {
  /** The TIM application id clients must use. */
  sdkAppId: number;
  /** The secret key UserSigs are signed with (never logged). */
  secretKey: string;
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** A SQLite file: users, groups, members, messages and agents survive a restart. Memory when omitted. */
  dbPath?: string;
  /** Lifetime of UserSigs issued by the credential exchange, in seconds (default 86400). */
  credentialTtlSeconds?: number;
  /** Credential-exchange attempts allowed per agent per window before 429 (default 20 per 60 s). */
  exchangeRateLimit?: { attempts: number; windowMs: number };
  /** Receives one line per notable event (unknown command, fault fired); silent by default. */
  log?: (line: string) => void;
  /** Clock in milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number;
}

/** A user as the emulator knows it. */
export interface EmulatorUser {
  userId: string;
  nick: string;
  createdAt: number;
}

/** A group as the emulator knows it. */
export interface EmulatorGroup {
  groupId: string;
  type: GroupType;
  name: string;
  introduction: string;
  notification: string;
  owner: string;
  customFields: Record<string, string>;
  members: string[];
  createdAt: number;
  /** The sequence the next group message will get. */
  nextSeq: number;
}

/** Content of a message: text (with optional mentions) or custom data. */
export type MessageContent =
  | { text: string; atUserIds?: string[] }
  | { custom: { data: string; description?: string; extension?: string } };

/** A stored message, group or C2C. */
export interface EmulatorMessage {
  /** Stable id: `group:<groupId>:<seq>` or `c2c:<from>:<to>:<seq>:<random>`. */
  id: string;
  conversation: { type: 'group'; groupId: string } | { type: 'c2c'; from: string; to: string };
  from: string;
  /** Milliseconds since the epoch (TIM itself has second precision on the wire). */
  time: number;
  seq: number;
  random: number;
  content: MessageContent;
  cloudCustomData: string;
}

/** A fault to inject into the protocol. */
export interface FaultSpec {
  /** The servcmd to affect, e.g. `group_open_http_svc.send_group_msg`. */
  command: string;
  /** Only for this user's requests; every user when omitted. */
  userId?: string;
  /** How many matching requests to affect (default 1). */
  times?: number;
  /** Answer with this TIM error code instead of handling the request. */
  errorCode?: number;
  /** The error text sent with `errorCode`. */
  errorInfo?: string;
  /** Hold the reply this long before handling (or failing) the request. */
  delayMs?: number;
}

/** A registered agent of the credential exchange. */
export interface EmulatorAgent {
  agentId: string;
  userId: string;
  claimed: boolean;
  revoked: boolean;
}

/** A running emulator, with its typed admin API. */
export interface Emulator {
  /** `ws://host:port`: the TIM SDK's `proxyServer`, clawlink's `server`. */
  readonly wsUrl: string;
  /** `http://host:port`: the HTTP admin API and credential exchange. */
  readonly adminUrl: string;
  readonly port: number;
  readonly sdkAppId: number;

  /** Signs a UserSig for `userId` with the emulator's key (default validity 1 day). */
  userSig(userId: string, expireSeconds?: number): string;

  createUser(userId: string, profile?: { nick?: string }): EmulatorUser;
  getUser(userId: string): EmulatorUser | undefined;
  listUsers(): EmulatorUser[];
  /** UserIDs with at least one logged-in connection. */
  onlineUsers(): string[];
  /** How many times `userId` logged in with a UserSig since start (reconnects with the A2 key not counted). */
  loginCount(userId: string): number;

  createGroup(options: {
    groupId?: string;
    type?: GroupType;
    name: string;
    owner: string;
    introduction?: string;
    customFields?: Record<string, string>;
    members?: string[];
  }): EmulatorGroup;
  getGroup(groupId: string): EmulatorGroup | undefined;
  listGroups(): EmulatorGroup[];
  addMembers(groupId: string, userIds: string[]): EmulatorGroup;
  removeMembers(groupId: string, userIds: string[]): EmulatorGroup;
  dismissGroup(groupId: string): void;

  /** Posts a group message as `from` (who need not be online) and pushes it to online members. */
  postGroupMessage(options: {
    groupId: string;
    from: string;
    content: MessageContent;
    cloudCustomData?: string;
  }): EmulatorMessage;
  /** Posts a C2C message and pushes it to `to` (and `from`'s other sessions) when online. */
  postC2CMessage(options: {
    from: string;
    to: string;
    content: MessageContent;
    cloudCustomData?: string;
  }): EmulatorMessage;
  /** Newest last; at most `limit` (default 100) of the newest. */
  groupHistory(groupId: string, limit?: number): EmulatorMessage[];
  /** Messages between two users, newest last; at most `limit` (default 100). */
  c2cHistory(userA: string, userB: string, limit?: number): EmulatorMessage[];

  /**
   * Changes `userId`'s nick, as TIM's console or REST `portrait_set` does: its logged-in
   * sessions are told (the SDK emits `onProfileUpdated`), and later messages carry the new nick.
   */
  setNick(userId: string, nick: string): EmulatorUser;
  /** Kicks every session of `userId`, as a REST-API kick (`KickType` 3) does. */
  kick(userId: string): void;
  /** Expires `userId`'s current UserSigs: live sessions get 70001, and sigs issued up to now are refused. */
  expireUserSig(userId: string): void;
  /** Drops every connection, or only `userId`'s, without a kick: clients reconnect. */
  dropConnections(userId?: string): void;
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;

  registerAgent(options?: { agentId?: string; userId?: string; nick?: string }): EmulatorAgent & {
    apiKey: string;
  };
  claimAgent(agentId: string): EmulatorAgent;
  revokeAgent(agentId: string): EmulatorAgent;
  getAgent(agentId: string): EmulatorAgent | undefined;

  /** Closes every connection and the server; idempotent. */
  close(): Promise<void>;
}
