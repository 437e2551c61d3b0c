import { z } from 'zod';
import type { ConversationRef } from '../conversation/conversation-ref.js';
import type { TimMessage } from '../tim/tim-message.js';
import { defineTool } from './define-tool.js';
import { channelId, text, userId } from './tool-fields.js';
import type { ToolRuntime } from './tool-runtime.js';
import type { ToolSpec } from './tool-spec.js';

/** Exactly one of `channelId` and `userId`: where a message goes or whose history is read. */
const target = {
  channelId: channelId.optional().describe('The channel (TIM group id) to use; or give userId.'),
  userId: userId.optional().describe('The user of a one-to-one (direct) chat; or give channelId.'),
};

function exactlyOneTarget(
  value: { channelId?: string | undefined; userId?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if ((value.channelId === undefined) === (value.userId === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['channelId'],
      message: 'give exactly one of channelId (a channel) and userId (a direct chat)',
    });
  }
}

function conversationOf(value: { channelId?: string; userId?: string }): ConversationRef {
  return value.channelId !== undefined
    ? { type: 'group', id: value.channelId }
    : { type: 'c2c', id: value.userId as string };
}

/** A message as a model reads it: few fields, readable time. */
function compact(message: TimMessage) {
  return {
    id: message.id,
    from: message.from,
    ...(message.nick ? { nick: message.nick } : {}),
    time: new Date(message.time).toISOString(),
    text: readableText(message),
  };
}

function readableText(message: TimMessage): string {
  if (message.kind === 'text') return message.text ?? '';
  if (message.kind === 'custom')
    return `[custom message] ${message.custom?.description ?? ''}`.trim();
  return `[${message.kind} message]`;
}

/** The message tools: send a message, read a conversation's history. */
export function messageTools(runtime: ToolRuntime): ToolSpec[] {
  return [
    defineTool({
      name: 'clawlink_send_message',
      description:
        'Send a text message to a channel (give channelId; you must be a member; optionally ' +
        '@-mention users with `mentions`) or to one user directly (give userId). Text is at ' +
        'most 12 KB (UTF-8); split longer text yourself. Returns {messageId, time}.',
      input: z
        .strictObject({
          ...target,
          text: text.describe('The message text (at most 12 KB in UTF-8).'),
          mentions: z
            .array(userId, { error: 'expected a list of user ids' })
            .optional()
            .describe('User ids to @-mention (channels only).'),
        })
        .superRefine((value, ctx) => {
          exactlyOneTarget(value, ctx);
          if (value.userId !== undefined && value.mentions !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: ['mentions'],
              message: 'mentions work in channels only; drop them for a direct message',
            });
          }
        }),
      mutates: true,
      execute: async (input) => {
        const sent = await runtime.messages.send(conversationOf(input), input.text, {
          ...(input.mentions ? { mentions: input.mentions } : {}),
        });
        return { messageId: sent.messageId, time: new Date(sent.time).toISOString() };
      },
    }),
    defineTool({
      name: 'clawlink_fetch_messages',
      description:
        'Read recent messages of a channel (give channelId; you must be a member) or of your ' +
        'direct chat with a user (give userId), oldest first: the newest `count` (default 20, ' +
        'at most 100), or the newest `count` before the message id `before` (to page back). ' +
        'Returns {messages: [{id, from, nick?, time, text}]}.',
      input: z
        .strictObject({
          ...target,
          count: z
            .number({ error: 'expected a whole number from 1 to 100' })
            .int({ error: 'expected a whole number from 1 to 100' })
            .min(1, { error: 'expected a whole number from 1 to 100' })
            .max(100, { error: 'expected a whole number from 1 to 100' })
            .optional()
            .describe('How many messages, 1 to 100 (default 20).'),
          before: z
            .string({ error: 'expected a message id from an earlier result' })
            .min(1, { error: 'expected a message id from an earlier result' })
            .optional()
            .describe('A message id: return messages older than it (page back).'),
        })
        .superRefine(exactlyOneTarget),
      mutates: false,
      execute: async (input) => {
        const messages = await runtime.messages.history(conversationOf(input), {
          count: input.count ?? 20,
          ...(input.before === undefined ? {} : { before: input.before }),
        });
        return { messages: messages.map(compact) };
      },
    }),
  ];
}
