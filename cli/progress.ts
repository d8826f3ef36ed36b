// Progress output: a redrawn bar on a terminal, plain periodic lines in logs and pipes.
import { formatElapsed } from "./task-row.ts";

export interface Counts {
  total: number;
  active: number;
  running: number;
  succeeded: number;
  failed: number;
}

export function bar(done: number, total: number, width = 30): string {
  const filled = total > 0 ? Math.min(width, Math.floor((done / total) * width)) : 0;
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
}

/** `[#####.....] 420/500 completed, 12 failed, 30 running` (the bar only on a terminal). */
export function formatWaitProgress(c: Counts, opts: { tty: boolean; elapsedMs?: number; width?: number }): string {
  const completed = c.succeeded + c.failed;
  const text = `${completed}/${c.total} completed, ${c.failed} failed, ${c.running} running`;
  if (opts.tty) return `${bar(completed, c.total, opts.width)} ${text}`;
  const elapsed = opts.elapsedMs === undefined ? "" : ` (${formatElapsed(opts.elapsedMs)})`;
  return `${text}, ${c.active} active${elapsed}`;
}

/** One status line: rewritten in place on a TTY (at most every `ttyMs`), printed every `plainMs` otherwise when it changed. */
export class ProgressLine {
  private last = "";
  private lastAt = 0;
  private shown = false;
  private readonly out: NodeJS.WriteStream;
  readonly tty: boolean;
  private readonly everyMs: number;

  constructor(out: NodeJS.WriteStream = process.stderr, opts: { ttyMs?: number; plainMs?: number } = {}) {
    this.out = out;
    this.tty = out.isTTY === true;
    this.everyMs = this.tty ? (opts.ttyMs ?? 100) : (opts.plainMs ?? 5_000);
  }

  update(text: string, force = false): void {
    const now = Date.now();
    if (text === this.last || (!force && now - this.lastAt < this.everyMs)) return;
    this.last = text;
    this.lastAt = now;
    if (this.tty) {
      this.out.write(`\r\x1b[K${text}`);
      this.shown = true;
    } else {
      this.out.write(`${text}\n`);
    }
  }

  /** Ends the redrawn line so that what follows starts on a fresh one. */
  done(): void {
    if (this.tty && this.shown) this.out.write("\n");
    this.shown = false;
  }
}
