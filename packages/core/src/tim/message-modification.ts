import { TIM_LIMITS } from '@clawlink/tim-facts';
import { TimError } from '../errors/tim-error.js';
import type { SdkInstance, SdkMessage, SdkResponse } from './sdk-types.js';
import type { TimClient } from './tim-client.js';
import { requireText, utf8Bytes } from './tim-limits.js';

/** The message to edit: one this client sent, e.g. what `sendMessage` returned. */
export interface EditableMessage {
  /** The id TIM gave the message (`SentMessage.messageId`). */
  messageId: string;
}

/** Options of {@link editMessageText}. */
export interface EditMessageOptions {
  /** Replaces the message's cloud custom data; kept as it is when omitted. */
  cloudCustomData?: string;
}

/** A message TIM accepted a new version of. */
export interface EditedMessage {
  messageId: string;
  /** TIM's version of the message: 1 after the first edit, +1 for each further one. */
  version: number;
}

/** The SDK message with the fields modification reads and writes. */
type ModifiableSdkMessage = SdkMessage & { version?: number; payload: Record<string, unknown> };

/**
 * The SDK calls edits use: `findMessage` (the SDK's copy of a message this session sent or
 * received) and `modifyMessage`. Both exist in tim-js-sdk 2.27.6 and 3.x.
 */
interface ModifyingSdk extends SdkInstance {
  findMessage(messageId: string): ModifiableSdkMessage | null;
  modifyMessage(message: ModifiableSdkMessage): Promise<SdkResponse<{ message: SdkMessage }>>;
}

/** The SDK's code when the message was modified elsewhere meanwhile (TIM's 20027). */
const SDK_MODIFY_CONFLICT = 2480;

function sdkCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null
    ? (error as { code?: unknown }).code
    : undefined;
}

/**
 * Replaces the text of a text message this client sent in its current session, in place
 * (TIM's message modification): every other online client of the conversation sees the new
 * text (the SDK's `MESSAGE_MODIFIED`), and history returns it. Meant for replies that grow
 * while they stream. If the message was modified elsewhere meanwhile, the edit is applied on
 * top of that version (the last edit wins).
 *
 * @throws TimError `INVALID_ARGUMENT` (empty text, not a text message of this session),
 *   `PERMISSION_DENIED` (a message this account did not send), `TOO_LARGE` (over 12 KB with
 *   the cloud custom data: continue in a new message), or what TIM answered.
 */
export async function editMessageText(
  client: TimClient,
  message: EditableMessage,
  text: string,
  options: EditMessageOptions = {},
): Promise<EditedMessage> {
  const op = 'editMessageText';
  const messageId = requireText(op, 'message.messageId', message?.messageId);
  requireText(op, 'text', text);
  if (options.cloudCustomData !== undefined && typeof options.cloudCustomData !== 'string') {
    throw new TimError('INVALID_ARGUMENT', `${op} failed: cloudCustomData must be a string.`, {
      operation: op,
    });
  }
  return client.call(op, async (tim) => {
    const sdk = tim as ModifyingSdk;
    const target = sdk.findMessage(messageId);
    if (!target) {
      throw new TimError(
        'INVALID_ARGUMENT',
        `${op} failed: message '${messageId}' is not one this client sent or received since it logged in; edit a message sent in this session (or send a new one).`,
        { operation: op },
      );
    }
    if (target.flow !== 'out') {
      throw new TimError(
        'PERMISSION_DENIED',
        `${op} failed: message '${messageId}' was sent by '${target.from}'; only the sender may edit a message.`,
        { operation: op },
      );
    }
    if (target.type !== 'TIMTextElem') {
      throw new TimError(
        'INVALID_ARGUMENT',
        `${op} failed: message '${messageId}' is a ${target.type} message; only text messages can be edited with editMessageText.`,
        { operation: op },
      );
    }
    const cloudCustomData = options.cloudCustomData ?? target.cloudCustomData ?? '';
    const total = utf8Bytes(text) + utf8Bytes(cloudCustomData);
    if (total > TIM_LIMITS.messageBytes) {
      throw new TimError(
        'TOO_LARGE',
        `${op} failed: the edited message is ${total} bytes (text plus cloudCustomData), over TIM's ${TIM_LIMITS.messageBytes}-byte limit; continue in a new message.`,
        { operation: op },
      );
    }
    for (let attempt = 0; ; attempt++) {
      const before = { payload: target.payload, cloudCustomData: target.cloudCustomData };
      target.payload = { ...target.payload, text };
      target.cloudCustomData = cloudCustomData;
      try {
        const { data } = await sdk.modifyMessage(target);
        const edited = data.message as ModifiableSdkMessage | null;
        return { messageId, version: edited?.version ?? target.version ?? 0 };
      } catch (error) {
        // On a conflict the SDK has already put TIM's latest version into `target`.
        if (sdkCode(error) === SDK_MODIFY_CONFLICT && attempt === 0) continue;
        if (sdkCode(error) !== SDK_MODIFY_CONFLICT) Object.assign(target, before);
        throw error;
      }
    }
  });
}
