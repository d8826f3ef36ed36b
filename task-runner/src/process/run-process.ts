// Runs one command line as a process group: no shell, output to stdout.txt/stderr.txt (and
// optionally echoed), an optional wall-clock limit. Used for start tasks and tasks alike.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { appendFile, mkdir } from "node:fs/promises";
import { splitCommandLine } from "../../../api/command-line-split.ts";
import { setLongTimeout, type LongTimer } from "../../../kube/long-timer.ts";

export type ProcessResult = {
  exitCode: number;
  signal?: string;
  startTime: Date;
  endTime: Date;
  /** Why the process could not start, or was stopped by the runner. */
  failure?: { code: "CommandNotFound" | "CommandLineInvalid" | "MaxWallClockTimeExceeded" | "StartFailed" | "Interrupted"; message: string };
};

/**
 * Runs one process somewhere: runProcess here, or in the node pod's `tasks` container through
 * the runner (runner/runner-client.ts). "Interrupted": it ended with that container, unfinished.
 */
export type Launcher = (opts: RunOptions) => Promise<ProcessResult>;

export type RunOptions = {
  commandLine: string;
  cwd: string;
  /** Where stdout.txt and stderr.txt go. */
  outputDir: string;
  env: NodeJS.ProcessEnv;
  echo?: boolean;
  maxWallClockMs?: number;
  /** Grace between SIGTERM and SIGKILL when the runner stops the process. */
  killGraceMs?: number;
  /** Aborting stops the process group (the agent is shutting down). */
  signal?: AbortSignal;
};

export async function runProcess(opts: RunOptions): Promise<ProcessResult> {
  const startTime = new Date();
  await mkdir(opts.cwd, { recursive: true });
  await mkdir(opts.outputDir, { recursive: true });
  let argv: string[];
  try {
    argv = splitCommandLine(opts.commandLine);
  } catch (err) {
    return { exitCode: 1, startTime, endTime: new Date(), failure: { code: "CommandLineInvalid", message: (err as Error).message } };
  }
  const stdout = createWriteStream(join(opts.outputDir, "stdout.txt"), { flags: "a" });
  const stderr = createWriteStream(join(opts.outputDir, "stderr.txt"), { flags: "a" });
  const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: opts.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.pipe(stdout);
  child.stderr.pipe(stderr);
  if (opts.echo) {
    child.stdout.on("data", (d: Buffer) => process.stdout.write(d));
    child.stderr.on("data", (d: Buffer) => process.stderr.write(d));
  }
  let failure: ProcessResult["failure"];
  let timer: LongTimer | undefined;
  if (opts.maxWallClockMs !== undefined) {
    timer = setLongTimeout(() => {
      failure = { code: "MaxWallClockTimeExceeded", message: `the process ran longer than its maxWallClockTime (${opts.maxWallClockMs} ms)` };
      stopGroup(child.pid, opts.killGraceMs ?? 5_000);
    }, opts.maxWallClockMs);
  }
  const onAbort = () => stopGroup(child.pid, opts.killGraceMs ?? 5_000);
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once("error", (err: NodeJS.ErrnoException) => {
      failure = err.code === "ENOENT"
        ? { code: "CommandNotFound", message: `${argv[0]}: command not found` }
        : { code: "StartFailed", message: `${argv[0]}: ${err.message}` };
      resolve([err.code === "ENOENT" ? 127 : 126, null]);
    });
    child.once("close", (c, s) => resolve([c, s]));
  });
  timer?.cancel();
  opts.signal?.removeEventListener("abort", onAbort);
  // pipe() may already have ended and closed the files; finished() also covers that case.
  stdout.end();
  stderr.end();
  await Promise.all([finished(stdout), finished(stderr)]);
  if (failure && failure.code !== "MaxWallClockTimeExceeded") await appendLine(join(opts.outputDir, "stderr.txt"), failure.message);
  const exitCode = code ?? (signal ? 128 + signalNumber(signal) : 1);
  return { exitCode, signal: signal ?? undefined, startTime, endTime: new Date(), failure };
}

/** SIGTERM to the whole process group, SIGKILL after the grace period. */
export function stopGroup(pid: number | undefined, graceMs: number): void {
  if (pid === undefined) return;
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // Already gone.
    }
  };
  kill("SIGTERM");
  setTimeout(() => kill("SIGKILL"), graceMs).unref();
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 1;
}

async function appendLine(path: string, line: string): Promise<void> {
  await appendFile(path, line + "\n");
}
