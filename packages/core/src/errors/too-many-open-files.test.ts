import { describe, expect, it } from 'vitest';
import {
  isTooManyOpenFiles,
  outOfFileDescriptors,
  TOO_MANY_OPEN_FILES,
  tooManyOpenFilesAdvice,
} from './too-many-open-files.js';

describe('too many open files', () => {
  it('recognises EMFILE and ENFILE, also deep in a cause chain, and nothing else', () => {
    const emfile = Object.assign(new Error('open'), { code: 'EMFILE' });
    expect(isTooManyOpenFiles(emfile)).toBe(true);
    expect(isTooManyOpenFiles({ code: 'ENFILE' })).toBe(true);
    expect(
      isTooManyOpenFiles(new Error('wrapped', { cause: new Error('x', { cause: emfile }) })),
    ).toBe(true);
    expect(isTooManyOpenFiles(Object.assign(new Error('open'), { code: 'ENOENT' }))).toBe(false);
    expect(isTooManyOpenFiles('EMFILE')).toBe(false);
    expect(isTooManyOpenFiles(undefined)).toBe(false);
  });

  it('is not out of descriptors in a normal process, and says what to do first', () => {
    expect(outOfFileDescriptors()).toBe(false);
    const advice = tooManyOpenFilesAdvice('the state file x could not be opened');
    expect(advice.startsWith(TOO_MANY_OPEN_FILES)).toBe(true);
    expect(advice).toContain('the state file x could not be opened');
    expect(advice).toContain('sharedStateFile');
  });
});
