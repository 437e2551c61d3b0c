/** The OpenClaw plugin id and channel id: `plugins.entries.clawlink`, `channels.clawlink`. */
export const CHANNEL_ID = 'clawlink';
