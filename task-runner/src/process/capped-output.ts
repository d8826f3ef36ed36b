// A process's stdout.txt or stderr.txt with a size cap. The node root is an emptyDir: a task
// that prints without end would fill it and get the node pod evicted. Once the file holds half
// the cap it becomes NAME.1 (the generation before that is dropped) and a new NAME starts, so
// the newest output is always on disk and the two files together stay within the cap.
// Nothing is ever refused: bytes rotated away, and bytes a failed write (a full disk) could
// not keep, are counted, not passed on as errors, so the child's pipes are always drained.
import { constants } from "node:fs";
import { open, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { basename } from "node:path";
import { Writable } from "node:stream";
import { defaultTaskOutputMaxBytes, taskOutputMaxBytesEnv } from "../../../api/node-contract.ts";

/** The cap of each output file of a process (both generations together), from the agent's environment. */
export function maxOutputBytes(env: NodeJS.ProcessEnv): number {
  const raw = env[taskOutputMaxBytesEnv];
  if (raw === undefined || raw === "") return defaultTaskOutputMaxBytes;
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 2) throw new Error(`${taskOutputMaxBytesEnv}: must be a whole number of bytes, at least 2, got "${raw}"`);
  return n;
}

/** Where NAME's previous generation is kept. */
export const previousGeneration = (path: string): string => `${path}.1`;

export class CappedOutput extends Writable {
  readonly path: string;
  readonly maxBytes: number;
  /** Bytes no longer on disk because the file outgrew the cap (the oldest). */
  dropped = 0;
  /** Bytes lost to failed writes, and the first failure. */
  lost = 0;
  failure?: Error;
  private fh?: FileHandle;
  private size = 0;
  private readonly closingLine?: () => string | undefined;
  /** Resolves once the file exists (opened, or its opening failed and was counted). */
  readonly opened: Promise<void>;
  private markOpened!: () => void;

  /** closingLine: written last, through the cap, when the stream ends (after everything written before). */
  constructor(path: string, maxBytes: number, opts: { closingLine?: () => string | undefined } = {}) {
    super();
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 2) throw new RangeError(`maxBytes: must be a whole number of at least 2, got ${maxBytes}`);
    this.path = path;
    this.maxBytes = maxBytes;
    this.closingLine = opts.closingLine;
    this.opened = new Promise((resolve) => (this.markOpened = resolve));
  }

  // The file exists from the start, like a plain write stream's, even if nothing is written.
  override _construct(callback: (err?: Error | null) => void): void {
    this.reopen().then(
      () => {
        this.markOpened();
        callback();
      },
      (err: unknown) => {
        this.fail(err);
        this.markOpened();
        callback();
      },
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    void this.append(chunk).then(() => callback());
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (err?: Error | null) => void): void {
    void this.append(Buffer.concat(chunks.map((c) => c.chunk))).then(() => callback());
  }

  override _final(callback: (err?: Error | null) => void): void {
    const line = this.closingLine?.();
    void (line ? this.append(Buffer.from(line + "\n")) : Promise.resolve())
      .then(() => this.closeFile())
      .then(() => callback());
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    void this.closeFile().then(() => callback(err));
  }

  /** Never rejects: a failure is counted and kept in `failure`, and the next write tries again. */
  private async append(chunk: Buffer): Promise<void> {
    const half = Math.floor(this.maxBytes / 2);
    let at = 0;
    try {
      if (!this.fh) await this.reopen();
      if (this.size >= half) await this.rotate();
      // The generation (0: the current file) the chunk's last byte lands in. From the third
      // on, what comes before the last two generations would only pass through the disk:
      // it is counted, not written.
      const last = Math.floor((this.size + chunk.length - 1) / half);
      if (last >= 2) {
        at = (last - 1) * half - this.size;
        this.dropped += this.size + at + (await sizeOf(previousGeneration(this.path)));
        await this.closeFile();
        await rm(previousGeneration(this.path), { force: true });
        this.fh = await open(this.path, writeFlags | constants.O_TRUNC, 0o644);
        this.size = 0;
      }
      while (at < chunk.length) {
        if (this.size >= half) await this.rotate();
        const n = Math.min(chunk.length - at, half - this.size);
        await writeAll(this.fh!, chunk.subarray(at, at + n));
        this.size += n;
        at += n;
      }
    } catch (err) {
      this.lost += chunk.length - at;
      this.fail(err);
      // Opened again (and its size read again) by the next write.
      await this.closeFile();
    }
  }

  private async rotate(): Promise<void> {
    const previous = previousGeneration(this.path);
    this.dropped += await sizeOf(previous);
    await this.closeFile();
    await rename(this.path, previous);
    await this.reopen();
  }

  private async reopen(): Promise<void> {
    this.fh = await open(this.path, writeFlags | constants.O_APPEND, 0o644);
    this.size = (await this.fh.stat()).size;
  }

  private async closeFile(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => undefined);
  }

  private fail(err: unknown): void {
    this.failure ??= err instanceof Error ? err : new Error(String(err));
  }
}

/** stdout.txt and stderr.txt are opened for writing never through a link a task left in their place. */
const writeFlags = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW;

/** The line for stderr.txt when some of a run's output is not on disk: how much, of which file, and why. */
export function droppedNote(outputs: readonly Pick<CappedOutput, "path" | "maxBytes" | "dropped" | "lost" | "failure">[]): string | undefined {
  const parts: string[] = [];
  for (const o of outputs) {
    const name = basename(o.path);
    if (o.dropped > 0) parts.push(`${o.dropped} bytes of ${name} dropped, the oldest: ${name} and ${name}.1 keep the newest ${size(o.maxBytes)} (${taskOutputMaxBytesEnv} of the node's tasks container)`);
    if (o.lost > 0) parts.push(`${o.lost} bytes of ${name} lost: writing it failed (${o.failure?.message ?? "unknown error"})`);
  }
  return parts.length > 0 ? `kubatch: ${parts.join("; ")}` : undefined;
}

const MiB = 1024 * 1024;
const size = (bytes: number) => (bytes >= MiB && bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${bytes} bytes`);

/** The last `n` bytes a CappedOutput at `path` kept, reaching into the previous generation when the current file is shorter. */
export async function newestBytes(path: string, n: number): Promise<Buffer> {
  const current = await lastBytes(path, n);
  if (current.length >= n) return current;
  return Buffer.concat([await lastBytes(previousGeneration(path), n - current.length), current]);
}

async function lastBytes(path: string, n: number): Promise<Buffer> {
  let fh: FileHandle;
  try {
    // Never through a link: a task that swaps its stdout.txt for one must not have the reader
    // (the agent, another container) read what the link names there into its status.
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    if (!(await fh.stat()).isFile()) {
      await fh.close();
      return Buffer.alloc(0);
    }
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const { size } = await fh.stat();
    const length = Math.min(size, n);
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, size - length);
    return buf.subarray(0, bytesRead);
  } catch {
    return Buffer.alloc(0);
  } finally {
    await fh.close();
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  for (let off = 0; off < buf.length; ) off += (await fh.write(buf, off)).bytesWritten;
}
