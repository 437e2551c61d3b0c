/** What the TIM SDK needs to log in, and until when it is valid. */
export interface TimCredentials {
  /** The TIM application's SDKAppID. */
  sdkAppId: number;
  /** The TIM UserID to log in as. */
  userId: string;
  /** The UserSig (a secret: never log it). */
  userSig: string;
  /**
   * When the UserSig expires, in milliseconds since the epoch. `Infinity` for a `static`
   * UserSig whose expiry cannot be read (not in the tls-sig-api-v2 format).
   */
  expiresAt: number;
}

/**
 * Where an account's TIM credentials come from.
 *
 * - `static`: a UserSig made elsewhere. Its expiry is read from the UserSig itself; one that
 *   cannot be decoded (not tls-sig-api-v2) is treated as never expiring (`expiresAt: Infinity`)
 *   until TIM refuses it. It cannot be renewed: once it expires or TIM refuses it, a person has
 *   to configure a new one (reason `invalid`).
 * - `secretKey`: the TIM application's secret key; UserSigs are signed locally. For people who
 *   own their TIM application.
 * - `exchange`: the clawlink flow. An agent registered with a credential service trades its
 *   `agentId` and `apiKey` for a UserSig (`POST {endpoint}/v1/agents/credentials`), once its
 *   owner has claimed it.
 */
export type CredentialSource =
  | { kind: 'static'; sdkAppId: number; userId: string; userSig: string }
  | {
      kind: 'secretKey';
      sdkAppId: number;
      userId: string;
      secretKey: string;
      /** Validity of each signed UserSig, in seconds; default 86400 (one day). */
      userSigTtlSeconds?: number;
    }
  | { kind: 'exchange'; endpoint: string; agentId: string; apiKey: string };
