import { TIM_CODES, TimCodeError } from '../protocol/tim-codes.js';
import type { StoredUser } from '../storage/storage.js';
import type { EmulatorUser } from '../types.js';
import { requireUser, requireValidUserId, type StateContext, seconds } from './state-context.js';

/** TinyIds are handed out upwards from here, like TIM's 144115... handles. */
const FIRST_TINY_ID = 144115200000000000n;

/** Users of the state: created by the admin API, on first login, or with an agent. */
export type UserState = ReturnType<typeof createUserState>;

/** Creates the users part of the state. */
export function createUserState(ctx: StateContext) {
  const { storage, now } = ctx;

  function newUser(userId: string, nick: string): StoredUser {
    const tinyId = (FIRST_TINY_ID + BigInt(storage.nextCounter('tinyId'))).toString();
    const user: StoredUser = { userId, nick, createdAt: now(), tinyId, sigsExpiredAtSeconds: 0 };
    storage.saveUser(user);
    return user;
  }

  return {
    /** The public view of a stored user. */
    toPublicUser(user: StoredUser): EmulatorUser {
      return { userId: user.userId, nick: user.nick, createdAt: user.createdAt };
    },

    getUser: (userId: string): StoredUser | undefined => storage.getUser(userId),
    listUsers: (): StoredUser[] => storage.listUsers(),

    /** Creates a user; refuses an invalid or taken UserID. */
    createUser(userId: string, nick = ''): StoredUser {
      requireValidUserId(userId);
      if (storage.getUser(userId)) {
        throw new TimCodeError(
          TIM_CODES.INVALID_PARAMETERS,
          `user "${userId}" already exists; pick another UserID`,
        );
      }
      return newUser(userId, nick);
    },

    /** The user, created with `nick` on first use (first login, agent registration). */
    ensureUser(userId: string, nick = ''): StoredUser {
      requireValidUserId(userId);
      return storage.getUser(userId) ?? newUser(userId, nick);
    },

    /** Changes the nick of an existing user. */
    setNick(userId: string, nick: string): StoredUser {
      const user = requireUser(ctx, userId);
      user.nick = nick;
      storage.saveUser(user);
      return user;
    },

    /** Marks every UserSig of `userId` issued up to this second as expired. */
    expireSigs(userId: string): number {
      const user = requireUser(ctx, userId);
      user.sigsExpiredAtSeconds = seconds(now());
      storage.saveUser(user);
      return user.sigsExpiredAtSeconds;
    },
  };
}
