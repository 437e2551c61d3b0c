import type { Readable } from 'node:stream';

/**
 * The lines a child process prints on `stream` (test support, not part of the package's
 * API): each complete line is pushed to the returned array as it arrives, then `onLine` runs.
 */
export function childLines(stream: Readable | null, onLine: () => void = () => {}): string[] {
  const lines: string[] = [];
  let partial = '';
  stream?.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    onLine();
  });
  return lines;
}
