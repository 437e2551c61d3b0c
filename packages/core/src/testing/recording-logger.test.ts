import { describe, expect, it } from 'vitest';
import { createRecordingLogger, type RecordedLine } from './recording-logger.js';

describe('createRecordingLogger', () => {
  it('records every level, with the object or the message alone', () => {
    const logger = createRecordingLogger();
    const obj = { messageId: 'm1' };
    logger.debug('plain');
    logger.info(obj, 'with an object');
    logger.warn({ n: 1 });
    logger.error('bad');
    expect(logger.lines).toEqual([
      { level: 'debug', obj: undefined, msg: 'plain' },
      { level: 'info', obj, msg: 'with an object' },
      { level: 'warn', obj: { n: 1 }, msg: '' },
      { level: 'error', obj: undefined, msg: 'bad' },
    ]);
    expect(logger.lines[1]?.obj).toBe(obj);
  });

  it("merges a child's bindings into each of its lines, into the same list", () => {
    const lines: RecordedLine[] = [];
    const logger = createRecordingLogger(lines);
    const child = logger.child({ component: 'pipeline', messageId: 'm1' });
    child.info({ conversation: 'g1' }, 'dispatched');
    child.debug('plain from a child');
    logger.info('from the root');
    expect(lines).toEqual([
      {
        level: 'info',
        obj: { component: 'pipeline', messageId: 'm1', conversation: 'g1' },
        msg: 'dispatched',
      },
      {
        level: 'debug',
        obj: { component: 'pipeline', messageId: 'm1' },
        msg: 'plain from a child',
      },
      { level: 'info', obj: undefined, msg: 'from the root' },
    ]);
    expect(logger.lines).toBe(lines);
  });

  it("merges nested children's bindings; the later key wins, the line's own keys last", () => {
    const logger = createRecordingLogger();
    const inner = logger.child({ a: 1, b: 1 }).child({ b: 2, c: 2 });
    inner.warn({ c: 3, d: 3 }, 'nested');
    inner.error('nested, message only');
    expect(logger.lines).toEqual([
      { level: 'warn', obj: { a: 1, b: 2, c: 3, d: 3 }, msg: 'nested' },
      { level: 'error', obj: { a: 1, b: 2, c: 2 }, msg: 'nested, message only' },
    ]);
  });

  it("leaves the caller's object and the parent's bindings as they were", () => {
    const logger = createRecordingLogger();
    const bindings = { component: 'tim' };
    const parent = logger.child(bindings);
    parent.child({ source: 'sdk' }).debug('from the grandchild');
    const obj = { n: 1 };
    parent.info(obj, 'from the child');
    expect(bindings).toEqual({ component: 'tim' });
    expect(obj).toEqual({ n: 1 });
    expect(logger.lines.map((line) => line.obj)).toEqual([
      { component: 'tim', source: 'sdk' },
      { component: 'tim', n: 1 },
    ]);
  });
});
