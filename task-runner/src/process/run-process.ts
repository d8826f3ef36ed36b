// Runs one command line as a process group: no shell, output to stdout.txt/stderr.txt (each
// capped, capped-output.ts; optionally echoed), an optional wall-clock limit. Used for start
// tasks and tasks alike.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { mkdir } from "node:fs/promises";
import { defaultTaskOutputMaxBytes } from "../../../api/node-contract.ts";
import { CappedOutput, droppedNote } from "./capped-output.ts";
import { splitCommandLine } from "../../../api/command-line-split.ts";
import { setLongTimeout, type LongTimer } from "../../../kube/long-timer.ts";
import type { UserIdentity } from "../../../api/user-identity.ts";
import type { ProcessUser } from "../runner/task-users.ts";

export type ProcessResult = {
  exitCode: number;
  signal?: string;
  startTime: Date;
  endTime: Date;
  /** Why the process could not start, or was stopped by the runner. */
  failure?: { code: "CommandNotFound" | "CommandLineInvalid" | "MaxWallClockTimeExceeded" | "StartFailed" | "Interrupted" | "UserIdentityUnavailable"; message: string };
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
  /** The cap of each of them, its previous generation included (default 64 MiB). */
  maxOutputBytes?: number;
  env: NodeJS.ProcessEnv;
  echo?: boolean;
  maxWallClockMs?: number;
  /** Grace between SIGTERM and SIGKILL when the runner stops the process. */
  killGraceMs?: number;
  /** Aborting stops the process group (the agent is shutting down). */
  signal?: AbortSignal;
  /** Who the task asks to run as: the runner decides the user (runner/task-users.ts). */
  userIdentity?: UserIdentity;
  /** The process's uid and gid (set by the runner, which is root on a pool with separateTaskUsers). */
  user?: ProcessUser;
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
  const maxBytes = opts.maxOutputBytes ?? defaultTaskOutputMaxBytes;
  // Appended to: a retry's output follows the attempt before it, under the same cap.
  const stdout = new CappedOutput(join(opts.outputDir, "stdout.txt"), maxBytes);
  // Ends with a line saying what did not stay on disk, if anything (stdout has ended by then).
  const stderr: CappedOutput = new CappedOutput(join(opts.outputDir, "stderr.txt"), maxBytes, { closingLine: () => droppedNote([stdout, stderr]) });
  // Both files are there before the command starts (Azure Batch's are, from the task's start).
  await Promise.all([stdout.opened, stderr.opened]);
  const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: opts.env, detached: true, stdio: ["ignore", "pipe", "pipe"], ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}) });
  // Ended here, not by the pipes: stderr takes the runner's own lines after the child's.
  child.stdout.pipe(stdout, { end: false });
  child.stderr.pipe(stderr, { end: false });
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
  child.stdout.unpipe(stdout);
  child.stderr.unpipe(stderr);
  stdout.end();
  await finished(stdout);
  if (failure && failure.code !== "MaxWallClockTimeExceeded") stderr.write(failure.message + "\n");
  stderr.end();
  await finished(stderr);
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

