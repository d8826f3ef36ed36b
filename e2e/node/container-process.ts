// One run of a container: a detached host process (its own process group, so signals
// reach everything it started) with stdout+stderr appended to its log file.

import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ExitInfo {
  exitCode: number;
  signal?: number;
  finishedAt: Date;
  /** Set when the process could not be started at all. */
  error?: string;
}

export class ContainerProcess {
  readonly pid: number;
  readonly startedAt: Date;
  readonly exited: Promise<ExitInfo>;
  #running = true;

  private constructor(pid: number, exited: Promise<ExitInfo>) {
    this.pid = pid;
    this.startedAt = new Date();
    this.exited = exited.finally(() => { this.#running = false; });
  }

  get running(): boolean {
    return this.#running;
  }

  static start(argv: string[], env: Record<string, string>, logPath: string): ContainerProcess {
    mkdirSync(path.dirname(logPath), { recursive: true });
    const fd = openSync(logPath, 'a');
    try {
      const child = spawn(argv[0] as string, argv.slice(1), { detached: true, env, cwd: '/', stdio: ['ignore', fd, fd] });
      const exited = new Promise<ExitInfo>((resolve) => {
        child.once('error', (err) => resolve({ exitCode: 128, finishedAt: new Date(), error: err.message }));
        child.once('exit', (code, sig) => {
          if (sig) {
            const n = os.constants.signals[sig] ?? 9;
            resolve({ exitCode: 128 + n, signal: n, finishedAt: new Date() });
          } else {
            resolve({ exitCode: code ?? 0, finishedAt: new Date() });
          }
        });
      });
      return new ContainerProcess(child.pid ?? -1, exited);
    } finally {
      closeSync(fd);
    }
  }

  /** Signals the whole process group; false when it is already gone. */
  signal(sig: NodeJS.Signals): boolean {
    if (!this.#running || this.pid <= 0) return false;
    try {
      process.kill(-this.pid, sig);
      return true;
    } catch {
      return false;
    }
  }
}
