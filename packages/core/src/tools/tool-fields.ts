import { z } from 'zod';

/** Input fields shared by the tools, with the same name and meaning everywhere. */
export const channelId = z
  .string({ error: 'expected a channel id (the TIM group id), a non-empty string' })
  .min(1, { error: 'expected a channel id (the TIM group id), a non-empty string' })
  .describe('The channel id (TIM group id), as listed by clawlink_list_channels.');

/** A TIM UserID. */
export const userId = z
  .string({ error: 'expected a user id (a TIM UserID), a non-empty string' })
  .min(1, { error: 'expected a user id (a TIM UserID), a non-empty string' })
  .describe('A TIM UserID of a person or another agent.');

/** Message text. */
export const text = z
  .string({ error: 'expected the message text, a non-empty string' })
  .min(1, { error: 'expected the message text, a non-empty string' });
