import { decodeUserSig } from '@clawlink/usersig';
import type { FaultSpec, MessageContent } from '../types.js';
import { badRequest, notFound } from './http-error.js';
import type { ApiRoute, HttpApiEmulator, HttpApiOptions, RouteAnswer } from './route-types.js';
import {
  arrayOf,
  type Check,
  either,
  integer,
  object,
  oneOf,
  optional,
  parseBody,
  recordOf,
  string,
  userId,
} from './validate.js';

/** The most messages one history request returns. */
export const MAX_HISTORY_LIMIT = 1000;
/** The longest UserSig validity the admin API signs: 10 years, in seconds. */
const MAX_SIG_SECONDS = 10 * 365 * 24 * 60 * 60;

const content: Check<MessageContent> = either(
  {
    key: 'text',
    check: object({ text: string(), atUserIds: optional(arrayOf(userId(), { allowEmpty: true })) }),
  },
  {
    key: 'custom',
    check: object({
      custom: object({
        data: string({ allowEmpty: true }),
        description: optional(string({ allowEmpty: true })),
        extension: optional(string({ allowEmpty: true })),
      }),
    }),
  },
);

const bodies = {
  createUser: object({ userId: userId(), nick: optional(string({ allowEmpty: true })) }),
  nick: object({ nick: string({ allowEmpty: true }) }),
  sig: object({ expireSeconds: optional(integer({ min: 1, max: MAX_SIG_SECONDS })) }),
  none: object({}),
  drop: object({ userId: optional(userId()) }),
  createGroup: object({
    groupId: optional(string()),
    type: optional(oneOf(['Public', 'Work', 'Meeting'] as const)),
    name: string(),
    owner: userId(),
    introduction: optional(string({ allowEmpty: true })),
    customFields: optional(recordOf(string({ allowEmpty: true }))),
    members: optional(arrayOf(userId(), { allowEmpty: true })),
  }),
  members: object({ userIds: arrayOf(userId()) }),
  groupMessage: object({
    from: userId(),
    content,
    cloudCustomData: optional(string({ allowEmpty: true })),
  }),
  c2cMessage: object({
    from: userId(),
    to: userId(),
    content,
    cloudCustomData: optional(string({ allowEmpty: true })),
  }),
  fault: object({
    command: string(),
    userId: optional(userId()),
    times: optional(integer({ min: 1 })),
    errorCode: optional(integer({ min: 1 })),
    errorInfo: optional(string({ allowEmpty: true })),
    delayMs: optional(integer({ min: 0, max: 600_000 })),
  }),
};

const ok = (body: unknown): RouteAnswer => ({ status: 200, body });
const created = (body: unknown): RouteAnswer => ({ status: 201, body });

/**
 * The admin API (README, "HTTP admin API"): one route per {@link Emulator} method, JSON in and
 * out. Path resources that do not exist answer 404 before the emulator is called.
 */
export function createAdminRoutes(emulator: HttpApiEmulator, options: HttpApiOptions): ApiRoute[] {
  function knownUser(id: string): string {
    if (!emulator.getUser(id) && !emulator.onlineUsers().includes(id)) {
      throw notFound(`no user "${id}"; create it with POST /admin/users`);
    }
    return id;
  }

  function knownGroup(id: string): string {
    if (!emulator.getGroup(id)) {
      throw notFound(`no group "${id}"; list groups with GET /admin/groups`);
    }
    return id;
  }

  function param(params: Record<string, string>, name: string): string {
    return params[name] as string;
  }

  function limitOf(query: URLSearchParams): number | undefined {
    const raw = query.get('limit');
    if (raw === null) return undefined;
    const limit = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT) {
      throw badRequest(
        `the query parameter limit must be an integer from 1 to ${MAX_HISTORY_LIMIT}`,
      );
    }
    return limit;
  }

  function queryUserId(query: URLSearchParams, name: string): string {
    return userId()(query.get(name) ?? undefined, `the query parameter ${name}`);
  }

  return [
    { method: 'GET', pattern: '/admin/users', handler: () => ok({ users: emulator.listUsers() }) },
    {
      method: 'POST',
      pattern: '/admin/users',
      handler: ({ body }) => {
        const { userId: id, nick } = parseBody(body, bodies.createUser);
        return created({ user: emulator.createUser(id, nick === undefined ? {} : { nick }) });
      },
    },
    {
      method: 'GET',
      pattern: '/admin/users/:userId',
      handler: ({ params }) => {
        const user = emulator.getUser(param(params, 'userId'));
        if (!user) throw notFound(`no user "${param(params, 'userId')}"`);
        return ok({ user });
      },
    },
    {
      method: 'POST',
      pattern: '/admin/users/:userId/sig',
      handler: ({ params, body }) => {
        const id = userId()(param(params, 'userId'), 'the path userId');
        const { expireSeconds } = parseBody(body, bodies.sig);
        const userSig = emulator.userSig(id, expireSeconds);
        const expiresAt = decodeUserSig(userSig)?.expiresAt;
        return ok({ userId: id, userSig, expiresAt });
      },
    },
    {
      method: 'POST',
      pattern: '/admin/users/:userId/nick',
      handler: ({ params, body }) => {
        const { nick } = parseBody(body, bodies.nick);
        return ok({ user: emulator.setNick(knownUser(param(params, 'userId')), nick) });
      },
    },
    {
      method: 'POST',
      pattern: '/admin/users/:userId/kick',
      handler: ({ params, body }) => {
        parseBody(body, bodies.none);
        const id = knownUser(param(params, 'userId'));
        emulator.kick(id);
        return ok({ userId: id, kicked: true });
      },
    },
    {
      method: 'POST',
      pattern: '/admin/users/:userId/expire-sig',
      handler: ({ params, body }) => {
        parseBody(body, bodies.none);
        const id = knownUser(param(params, 'userId'));
        emulator.expireUserSig(id);
        return ok({ userId: id, sigExpired: true });
      },
    },
    {
      method: 'GET',
      pattern: '/admin/online',
      handler: () => ok({ userIds: emulator.onlineUsers() }),
    },
    {
      method: 'POST',
      pattern: '/admin/connections/drop',
      handler: ({ body }) => {
        const { userId: id } = parseBody(body, bodies.drop);
        emulator.dropConnections(id);
        return ok(id === undefined ? { dropped: 'all' } : { dropped: id });
      },
    },
    {
      method: 'GET',
      pattern: '/admin/groups',
      handler: () => ok({ groups: emulator.listGroups() }),
    },
    {
      method: 'POST',
      pattern: '/admin/groups',
      handler: ({ body }) =>
        created({ group: emulator.createGroup(parseBody(body, bodies.createGroup)) }),
    },
    {
      method: 'GET',
      pattern: '/admin/groups/:groupId',
      handler: ({ params }) => {
        const group = emulator.getGroup(param(params, 'groupId'));
        if (!group) throw notFound(`no group "${param(params, 'groupId')}"`);
        return ok({ group });
      },
    },
    {
      method: 'DELETE',
      pattern: '/admin/groups/:groupId',
      handler: ({ params, body }) => {
        parseBody(body, bodies.none);
        const id = knownGroup(param(params, 'groupId'));
        emulator.dismissGroup(id);
        return ok({ groupId: id, dismissed: true });
      },
    },
    {
      method: 'POST',
      pattern: '/admin/groups/:groupId/members',
      handler: ({ params, body }) => {
        const { userIds } = parseBody(body, bodies.members);
        return ok({ group: emulator.addMembers(knownGroup(param(params, 'groupId')), userIds) });
      },
    },
    {
      method: 'DELETE',
      pattern: '/admin/groups/:groupId/members',
      handler: ({ params, body }) => {
        const { userIds } = parseBody(body, bodies.members);
        return ok({ group: emulator.removeMembers(knownGroup(param(params, 'groupId')), userIds) });
      },
    },
    {
      method: 'POST',
      pattern: '/admin/groups/:groupId/messages',
      handler: ({ params, body }) => {
        const message = parseBody(body, bodies.groupMessage);
        const groupId = knownGroup(param(params, 'groupId'));
        return created({ message: emulator.postGroupMessage({ ...message, groupId }) });
      },
    },
    {
      method: 'GET',
      pattern: '/admin/groups/:groupId/messages',
      handler: ({ params, query }) => {
        const limit = limitOf(query);
        const groupId = knownGroup(param(params, 'groupId'));
        return ok({ messages: emulator.groupHistory(groupId, limit) });
      },
    },
    {
      method: 'POST',
      pattern: '/admin/c2c/messages',
      handler: ({ body }) =>
        created({ message: emulator.postC2CMessage(parseBody(body, bodies.c2cMessage)) }),
    },
    {
      method: 'GET',
      pattern: '/admin/c2c/messages',
      handler: ({ query }) => {
        const userA = queryUserId(query, 'userA');
        const userB = queryUserId(query, 'userB');
        const limit = limitOf(query);
        return ok({ messages: emulator.c2cHistory(userA, userB, limit) });
      },
    },
    {
      method: 'POST',
      pattern: '/admin/faults',
      handler: ({ body }) => {
        const fault: FaultSpec = parseBody(body, bodies.fault);
        if (fault.errorCode === undefined && fault.delayMs === undefined) {
          throw badRequest(
            'a fault needs errorCode, delayMs or both; send {command, errorCode?, delayMs?, userId?, times?, errorInfo?}',
          );
        }
        emulator.injectFault(fault);
        options.log(`admin: fault injected on ${fault.command}`);
        return created({ fault });
      },
    },
    {
      method: 'DELETE',
      pattern: '/admin/faults',
      handler: ({ body }) => {
        parseBody(body, bodies.none);
        emulator.clearFaults();
        return ok({ cleared: true });
      },
    },
  ];
}
