import { type Logger, redactingLogger } from '@clawlink/core';

/** OpenClaw's log sink of a channel account (`ctx.log` of `startAccount`). */
export interface ChannelLogSink {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug?(msg: string): void;
}

/**
 * Core's logger writing to OpenClaw's log sink: one line per entry, `message {fields}`, with
 * secrets redacted by core's redaction (apiKey, userSig, secretKey never reach the log).
 */
export function openClawLogger(sink: ChannelLogSink | undefined): Logger {
  return redactingLogger(sinkLogger(sink, {}));
}

function sinkLogger(sink: ChannelLogSink | undefined, bindings: Record<string, unknown>): Logger {
  const write =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (objOrMsg: object | string, msg?: string): void => {
      const target = level === 'debug' ? sink?.debug : sink?.[level];
      if (!target) return;
      const fields = typeof objOrMsg === 'string' ? bindings : { ...bindings, ...objOrMsg };
      const text = typeof objOrMsg === 'string' ? objOrMsg : (msg ?? '');
      target.call(sink, `clawlink: ${text} ${stringify(fields)}`.trimEnd());
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => sinkLogger(sink, { ...bindings, ...more }),
  } as Logger;
}

function stringify(fields: Record<string, unknown>): string {
  if (Object.keys(fields).length === 0) return '';
  return JSON.stringify(fields, (_key, value: unknown) =>
    value instanceof Error ? { name: value.name, message: value.message } : value,
  );
}
