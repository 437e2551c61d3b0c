import { checkUserId } from '@clawlink/usersig';
import { z } from 'zod';
import { agentRequestsConfigSchema } from '../agents/agent-requests-config.js';
import { ConfigError, type ConfigIssue } from '../errors/config-error.js';
import { pipelineConfigSchema } from '../pipeline/pipeline-config.js';

// Every message says what to write. None may include the input value: a field can hold a
// secret (apiKey, userSig, secretKey), so messages are built from the field alone.
type ZodErrorMap = (issue: { input?: unknown }) => string;

/** "missing" when the field is absent, else "expected ...", both followed by `what`. */
const expecting =
  (what: string): ZodErrorMap =>
  (issue) =>
    issue.input === undefined ? `missing — write ${what}` : `expected ${what}`;

const requiredText = (what: string) =>
  z.string({ error: expecting(what) }).min(1, { error: expecting(what) });

const positiveInteger = (what: string) =>
  z
    .number({ error: expecting(what) })
    .int({ error: expecting(what) })
    .positive({ error: expecting(what) });

const SDK_APP_ID = positiveInteger(
  "the TIM application's SDKAppID, a positive integer from the TIM console (e.g. 1400000000)",
);

const USER_ID = z
  .string({ error: expecting("the agent's TIM UserID (a non-empty string of at most 32 bytes)") })
  .superRefine((userId, ctx) => {
    const problem = checkUserId(userId);
    if (problem !== undefined) {
      ctx.addIssue({ code: 'custom', message: `${problem}; write the agent's TIM UserID` });
    }
  });

const delays = <Extra extends z.ZodRawShape = Record<never, never>>(
  defaults: { initialDelayMs: number; maxDelayMs: number },
  extra?: Extra,
) =>
  z
    .strictObject(
      {
        ...(extra as Extra),
        initialDelayMs: positiveInteger(
          `the first delay in milliseconds, a positive integer (default ${defaults.initialDelayMs})`,
        ).default(defaults.initialDelayMs),
        maxDelayMs: positiveInteger(
          `the longest delay in milliseconds, a positive integer (default ${defaults.maxDelayMs})`,
        ).default(defaults.maxDelayMs),
      },
      {
        error: expecting(
          `an object { initialDelayMs?, maxDelayMs? } in milliseconds (defaults ${defaults.initialDelayMs} and ${defaults.maxDelayMs}), or omit it`,
        ),
      },
    )
    .superRefine((value, ctx) => {
      const { initialDelayMs, maxDelayMs } = value as {
        initialDelayMs: number;
        maxDelayMs: number;
      };
      if (maxDelayMs < initialDelayMs) {
        ctx.addIssue({
          code: 'custom',
          path: ['maxDelayMs'],
          message: 'must be at least initialDelayMs; raise maxDelayMs or lower initialDelayMs',
        });
      }
    });

const staticCredentials = z.strictObject({
  kind: z.literal('static'),
  sdkAppId: SDK_APP_ID,
  userId: USER_ID,
  userSig: requiredText(
    "the UserSig made for this userId (a non-empty string), or use { kind: 'secretKey' } to sign UserSigs locally",
  ),
});

const secretKeyCredentials = z.strictObject({
  kind: z.literal('secretKey'),
  sdkAppId: SDK_APP_ID,
  userId: USER_ID,
  secretKey: requiredText(
    "the TIM application's secret key from the TIM console (a non-empty string)",
  ),
  userSigTtlSeconds: positiveInteger(
    'how long each signed UserSig is valid, in seconds: a positive integer (default 86400)',
  ).optional(),
});

const exchangeCredentials = z.strictObject({
  kind: z.literal('exchange'),
  endpoint: z.url({
    protocol: /^https?$/,
    error: expecting(
      "the credential service's http:// or https:// URL (e.g. 'https://clawlink.example.com')",
    ),
  }),
  agentId: requiredText('the agent id the credential service gave at registration'),
  apiKey: requiredText("the agent's API key from registration (a non-empty string)"),
});

const CREDENTIAL_KINDS =
  "one of 'static', 'secretKey', 'exchange' — for the clawlink service use { kind: 'exchange', endpoint, agentId, apiKey }; with your own TIM app use { kind: 'secretKey', sdkAppId, userId, secretKey } or { kind: 'static', sdkAppId, userId, userSig }";

/**
 * The zod schema of one account's configuration. Adapters reuse it (e.g. `.extend(...)` for
 * host-specific fields); {@link parseAccountConfig} turns its issues into a `ConfigError`.
 * Objects are strict: an unknown field (often a typo) is reported, not ignored.
 */
export const accountConfigSchema = z.strictObject({
  accountId: z
    .string({
      error: expecting("a name for this account, e.g. 'support-bot' (1 to 64 characters)"),
    })
    .min(1, {
      error: () => "must not be empty — write a name for this account, e.g. 'support-bot'",
    })
    .max(64, {
      error: () => 'must be at most 64 characters — use a shorter name for this account',
    }),
  server: z
    .url({
      protocol: /^wss?$/,
      error: expecting(
        "a ws:// or wss:// URL of a TIM-compatible server (e.g. 'ws://127.0.0.1:8080' for the emulator); omit server to use Tencent's cloud",
      ),
    })
    .optional(),
  credentials: z.discriminatedUnion(
    'kind',
    [staticCredentials, secretKeyCredentials, exchangeCredentials],
    {
      error: (issue) =>
        issue.input === undefined
          ? `missing — write ${CREDENTIAL_KINDS}`
          : `expected ${CREDENTIAL_KINDS}`,
    },
  ),
  stateDir: requiredText(
    "a directory for this account's state file; omit stateDir to use the per-user default",
  ).optional(),
  onKicked: z
    .enum(['stop', 'reconnect'], {
      error: expecting(
        "'stop' (default: another login of the same user wins) or 'reconnect' (take the session back)",
      ),
    })
    .default('stop'),
  reconnect: delays(
    { initialDelayMs: 1000, maxDelayMs: 60_000 },
    {
      /** How long the TIM SDK may restore a dropped connection itself before a fresh login. */
      graceMs: positiveInteger(
        'how long the TIM SDK may restore a dropped connection on its own before clawlink logs in afresh, in milliseconds: a positive integer (default 20000)',
      ).optional(),
    },
  ).prefault({}),
  credentialRetry: delays({ initialDelayMs: 2000, maxDelayMs: 300_000 }).prefault({}),
  // The inbound pipeline: groups, direct, debounce, catchUp, dispatch, replies, stream.
  ...pipelineConfigSchema.shape,
  /** Agent-to-agent requests: who may ask this agent (default nobody) and how long to wait. */
  agentRequests: agentRequestsConfigSchema,
});

/** An account's configuration as written by a user (defaults not yet applied). */
export type AccountConfigInput = z.input<typeof accountConfigSchema>;

/** An account's configuration after {@link parseAccountConfig}: validated, defaults applied. */
export type AccountConfig = z.output<typeof accountConfigSchema>;

const DELAY_FIELDS = ['initialDelayMs', 'maxDelayMs'];
/** The fields of each object-valued section besides the delays, for "unknown field" messages. */
const SECTION_FIELDS: Record<string, readonly string[]> = {
  ...Object.fromEntries(
    Object.entries(pipelineConfigSchema.shape).map(([name, schema]) => [
      name,
      Object.keys(schema.unwrap().shape),
    ]),
  ),
  agentRequests: Object.keys(agentRequestsConfigSchema.unwrap().shape),
};
const CREDENTIAL_FIELDS: Record<string, readonly string[]> = {
  static: Object.keys(staticCredentials.shape),
  secretKey: Object.keys(secretKeyCredentials.shape),
  exchange: Object.keys(exchangeCredentials.shape),
};

/** The fields allowed in the object at `path` of `input`, for "unknown field" messages. */
function allowedFields(input: unknown, path: readonly PropertyKey[]): readonly string[] {
  const [head] = path;
  if (path.length === 0) return Object.keys(accountConfigSchema.shape);
  if (head === 'credentials') {
    const kind = (input as { credentials?: { kind?: unknown } }).credentials?.kind;
    return CREDENTIAL_FIELDS[String(kind)] ?? [];
  }
  if (head === 'groups' && path[1] === 'channels') return ['requireMention'];
  const section = SECTION_FIELDS[String(head)];
  if (section) return section;
  return head === 'reconnect' ? [...DELAY_FIELDS, 'graceMs'] : DELAY_FIELDS;
}

function toConfigIssues(input: unknown, issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedFields(input, issue.path).join(', ');
      for (const key of issue.keys) {
        out.push({
          path: path ? `${path}.${key}` : key,
          message: `unknown field — remove it or check its spelling; the fields here are: ${allowed}`,
        });
      }
    } else if (issue.path.length === 0 && issue.code === 'invalid_type') {
      out.push({
        path: '',
        message:
          'expected an account config object: { accountId, credentials: { kind, ... }, server?, stateDir?, onKicked?, reconnect?, credentialRetry? }',
      });
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}

/**
 * Validates one account's configuration and applies defaults (`onKicked: 'stop'`,
 * `reconnect` 1000..60000 ms, `credentialRetry` 2000..300000 ms). `reconnect.graceMs` (default
 * 20000 ms, applied by the runtime) is how long the TIM SDK may restore a dropped connection on
 * its own before the runtime logs in afresh; the runtime does not wait when the SDK gives up. Throws a `ConfigError`
 * listing every problem with its field path and what to write instead; no message ever
 * contains the value of `apiKey`, `userSig` or `secretKey`.
 */
export function parseAccountConfig(input: unknown): AccountConfig {
  const result = accountConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError('account config', toConfigIssues(input, result.error.issues));
}
