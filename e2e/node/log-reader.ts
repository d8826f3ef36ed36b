// Reading container log files the way `kubectl logs` asks for them: tailLines,
// limitBytes, timestamps, and follow (until that run of the container ends).

import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LogOptions {
  tailLines?: number;
  limitBytes?: number;
  timestamps?: boolean;
  follow?: boolean;
}

/** The last `n` lines of `text` (a trailing newline does not count as a line). */
export function tail(text: string, n: number): string {
  if (n <= 0) return '';
  const lines = text.split('\n');
  const trailing = lines.at(-1) === '' ? lines.pop() !== undefined : false;
  return lines.slice(-n).join('\n') + (trailing ? '\n' : '');
}

/**
 * Prefixes each line with an RFC 3339 time. The files hold raw output without per-line
 * times, so this is when the line was read (the file's mtime for what was already there).
 */
export function stampLines(text: string, at: Date): string {
  const ts = at.toISOString();
  return text.replace(/^(?=.)/gm, `${ts} `);
}

/** Writes the log to `out`; when following, keeps reading until `running()` is false. */
export async function streamLog(
  file: string, opts: LogOptions, running: () => boolean, out: { write(s: string | Buffer): boolean; destroyed?: boolean },
  signal: AbortSignal,
): Promise<void> {
  let budget = opts.limitBytes ?? Infinity;
  const emit = (chunk: Buffer, at: Date): boolean => {
    let text = chunk.toString('utf8');
    if (opts.timestamps) text = stampLines(text, at);
    let buf = Buffer.from(text);
    if (buf.length > budget) buf = buf.subarray(0, budget);
    budget -= buf.length;
    if (buf.length > 0) out.write(buf);
    return budget > 0;
  };
  let offset: number;
  if (opts.tailLines !== undefined) {
    const content = await readFile(file);
    const mtime = (await stat(file)).mtime;
    if (!emit(Buffer.from(tail(content.toString('utf8'), opts.tailLines)), mtime)) return;
    offset = content.length;
  } else {
    const st = await stat(file);
    offset = st.size;
    for await (const chunk of createReadStream(file, { end: Math.max(st.size - 1, 0) })) {
      if (st.size === 0) break;
      if (!emit(chunk as Buffer, st.mtime)) return;
    }
  }
  if (!opts.follow) return;
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      if (signal.aborted || out.destroyed) return;
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      if (bytesRead > 0) {
        offset += bytesRead;
        if (!emit(Buffer.from(buf.subarray(0, bytesRead)), new Date())) return;
        continue;
      }
      if (!running()) return;
      try {
        await sleep(200, undefined, { signal });
      } catch {
        return;
      }
    }
  } finally {
    await fh.close();
  }
}
