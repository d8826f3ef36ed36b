// terminationMessagePolicy: FallbackToLogsOnError — like the kubelet, a container that fails
// gets the tail of its log (at most 80 lines and 2048 bytes) as its terminated message.
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';

export const maxMessageLines = 80;
export const maxMessageBytes = 2048;

export function logTail(path: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxMessageBytes);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    const lines = buf.toString('utf8').split('\n');
    return lines.slice(-maxMessageLines - 1).join('\n') || undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function terminationMessage(policy: string | undefined, exitCode: number, logPath: string): string | undefined {
  if (policy !== 'FallbackToLogsOnError' || exitCode === 0) return undefined;
  return logTail(logPath);
}
