// Runs one task on this node: its folder, resource files, the Batch environment, the command
// line (retried up to maxTaskRetryCount, backing off from the second retry: retry-delay.ts),
// output files; returns what the status reports.
// The job preparation and release tasks run through here too (job-preparation.ts, job-release.ts).
import { join } from "node:path";
import type { V1Secret } from "@kubernetes/client-node";
import { setTimeout as wait } from "node:timers/promises";
import type { FailureInfo } from "../../../api/failure-info.ts";
import type { Job } from "../../../api/job.ts";
import type { OutputFile } from "../../../api/output-file.ts";
import { parseDuration } from "../../../api/duration.ts";
import type { ResourceFile } from "../../../api/resource-file.ts";
import type { EnvironmentSetting } from "../../../api/environment.ts";
import { fetchResourceFiles } from "../fetch/resource-files.ts";
import { batchEnvironment, nodeLayout, type NodeIdentity } from "../../../api/node-layout.ts";
import type { Launcher, ProcessResult } from "../process/run-process.ts";
import { newestBytes } from "../process/capped-output.ts";
import { uploadOutputFiles } from "./output-files.ts";
import { reportedRetryWaitMs, retryDelayMs } from "./retry-delay.ts";
import { failureExitCode, fileUploadError, jobTokenUnavailable, resourceFileDownloadFailed, taskInterrupted } from "../../../api/failure-codes.ts";
import { wantsJobToken, type AuthenticationTokenSettings } from "../../../api/job-token.ts";
import type { UserIdentity } from "../../../api/user-identity.ts";
import { jobTokenEnvironment, removeJobTokenKubeconfig } from "./job-token.ts";

/** What runs: a Task's spec, or the job's preparation or release task shaped like one. */
export type RunnableTask = {
  jobName: string;
  id: string;
  commandLine: string;
  resourceFiles?: readonly ResourceFile[];
  outputFiles?: readonly OutputFile[];
  environmentSettings?: readonly EnvironmentSetting[];
  constraints: { maxWallClockTime?: string; maxTaskRetryCount?: number };
  /** The job preparation task itself does not see AZ_BATCH_JOB_PREP_DIR; every other task of such a job does. */
  isJobPreparation?: boolean;
  authenticationTokenSettings?: AuthenticationTokenSettings;
  userIdentity?: UserIdentity;
};

export type TaskOutcome = {
  /** Absent when the command never ran (its job preparation task failed on this node). */
  exitCode?: number;
  result: "Success" | "Failure";
  failureInfo?: FailureInfo;
  startTime: Date;
  endTime: Date;
  retryCount: number;
  lastRetryTime?: Date;
  stdoutTail?: string;
  stderrTail?: string;
};

export type ExecutionContext = {
  node: NodeIdentity;
  /** Starts the command line: in the node pod's `tasks` container (the runner), which adds its own environment. */
  launch: Launcher;
  secret: (name: string, key: string) => Promise<string | undefined>;
  autoStorageConnectionString?: string;
  /** For a task that asks for its job's token: the task's namespace, the API server's URL as the agent reaches it, a Secret of the namespace. */
  api?: { namespace: string; server: string; readSecret: (name: string) => Promise<V1Secret> };
  /** Called once, when the command first starts. */
  onStarted?: (at: Date) => void;
  /**
   * Attempts an earlier agent made for this assignment, the last one cut short by that agent's
   * end: this run goes on from there (retryCount, startTime), or ends when none are left.
   */
  resume?: { attempts: number; interruptions: number; startTime: Date; lastRetryTime?: Date };
  /**
   * Awaited before each start of the command line, with the attempt's retry count and how many
   * attempts before it in a row were interrupted: the agent records it on disk first.
   */
  onAttempt?: (retryCount: number, at: Date, interruptions: number) => Promise<void>;
  /**
   * Called when a wait before a retry of at least reportedRetryWaitMs begins, with what the
   * status says meanwhile: the retries so far and when the latest started (absent when not known).
   */
  onRetryWait?: (retryCount: number, lastRetryTime: Date | undefined, waitMs: number) => void;
  /** Ends the run: a running process is stopped, a wait before a retry cut short, no attempt started after. */
  signal?: AbortSignal;
  /** For tests: the wait before a retry (it must end when the signal aborts). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  log?: (line: string) => void;
};

const tailBytes = 1024;
/** With unlimited retries (-1), a task whose attempts keep ending with the node's containers stops after this many in a row. */
export const maxInterruptions = 3;

/** How long an attempt that ended with the tasks container waits for the agent's own stop before it counts. */
export const interruptedSettleMs = 2_000;

export async function executeTask(task: RunnableTask, job: Job | undefined, ctx: ExecutionContext): Promise<TaskOutcome> {
  const layout = nodeLayout(ctx.node.rootDir);
  const dir = layout.taskDir(task.jobName, task.id);
  const wd = join(dir, "wd");
  const startTime = ctx.resume?.startTime ?? new Date();
  const maxRetries = task.constraints.maxTaskRetryCount ?? job?.spec.constraints.maxTaskRetryCount ?? 0;
  if (ctx.resume && interruptedForGood(ctx.resume, maxRetries)) {
    return interrupted(ctx.resume, maxRetries, await tails(dir));
  }
  const fail = (code: string, message: string, exitCode = 1): TaskOutcome => ({
    exitCode,
    result: "Failure",
    failureInfo: { category: "UserError", code, message },
    startTime,
    endTime: new Date(),
    retryCount: 0,
  });
  const secretOf = async (ref: { name: string; key: string } | undefined) => (ref ? ctx.secret(ref.name, ref.key) : undefined);

  try {
    const resourceFiles: readonly ResourceFile[] = task.resourceFiles ?? [];
    const secrets = await Promise.all(resourceFiles.map((f) => secretOf(f.credentialsSecretRef)));
    await fetchResourceFiles(resourceFiles, wd, { credentialFor: (_f, i) => secrets[i], autoStorageConnectionString: ctx.autoStorageConnectionString, log: ctx.log });
  } catch (err) {
    return fail(resourceFileDownloadFailed, err instanceof Error ? err.message : String(err));
  }

  // What the task adds to the runner's own environment (its image's PATH and the like).
  const env: Record<string, string> = {
    ...batchEnvironment(ctx.node, { jobId: task.jobName, taskId: task.id, jobPreparationTaskId: task.isJobPreparation ? undefined : job?.spec.jobPreparationTask?.id }),
  };
  const kubeconfig = layout.jobTokenKubeconfig(task.jobName, task.id);
  const withToken = wantsJobToken(task.authenticationTokenSettings);
  if (withToken) {
    try {
      if (!ctx.api) throw new Error("this agent has no API server to give a token for");
      Object.assign(env, await jobTokenEnvironment(task.jobName, ctx.api.namespace, kubeconfig, { read: ctx.api.readSecret, server: ctx.api.server }));
    } catch (err) {
      return fail(jobTokenUnavailable, err instanceof Error ? err.message : String(err));
    }
  }
  for (const s of job?.spec.commonEnvironmentSettings ?? []) env[s.name] = s.value ?? "";
  for (const s of task.environmentSettings ?? []) env[s.name] = s.value ?? "";

  const maxWallClockMs = task.constraints.maxWallClockTime ? parseDuration(task.constraints.maxWallClockTime) : undefined;
  const sleep = ctx.sleep ?? ((ms: number, signal?: AbortSignal) => wait(ms, undefined, { signal }));
  const what = `task ${task.jobName}/${task.id}`;
  const of = maxRetries < 0 ? "" : ` of ${maxRetries}`;
  // The attempt to start next; a resumed run's interrupted attempt was its last, so it goes on
  // with the next retry. retryCount and lastRetryTime are of the latest attempt started.
  let next = ctx.resume?.attempts ?? 0;
  let retryCount = Math.max(0, next - 1);
  let lastRetryTime = ctx.resume?.lastRetryTime;
  let interruptions = ctx.resume?.interruptions ?? 0;
  let started = false;
  let run: ProcessResult | undefined;
  for (;;) {
    const waitMs = retryDelayMs(next);
    if (waitMs > 0) {
      if (waitMs >= reportedRetryWaitMs) ctx.onRetryWait?.(retryCount, lastRetryTime, waitMs);
      await sleep(waitMs, ctx.signal).catch(() => undefined);
    }
    // Stopped (job terminated, task requeued, agent stopping): no further attempt.
    if (ctx.signal?.aborted) break;
    retryCount = next;
    const at = new Date();
    if (retryCount > 0) lastRetryTime = at;
    await ctx.onAttempt?.(retryCount, at, interruptions);
    if (!started) {
      started = true;
      ctx.onStarted?.(new Date());
    }
    run = await ctx.launch({ commandLine: task.commandLine, cwd: wd, outputDir: dir, env, maxWallClockMs, signal: ctx.signal, ...(task.userIdentity ? { userIdentity: task.userIdentity } : {}) });
    // A pod being stopped (evicted, deleted) sends SIGTERM to both containers at once: the
    // runner's end can arrive before this agent's own stop. A moment's wait tells the two apart.
    if (run.failure?.code === "Interrupted" && !ctx.signal?.aborted) await sleep(interruptedSettleMs, ctx.signal).catch(() => undefined);
    // The process ended with the tasks container (killed, out of memory): like an agent
    // restart, the attempt counts, and a run of such attempts ends the task.
    if (run.failure?.code === "Interrupted" && !ctx.signal?.aborted) {
      interruptions++;
      const lost = { attempts: retryCount + 1, interruptions, startTime };
      if (interruptedForGood(lost, maxRetries)) {
        return interrupted(lost, maxRetries, await tails(dir));
      }
      next = retryCount + 1;
      ctx.log?.(`${what}: ${run.failure.message}; retry ${next}${of}${afterDelay(next)}`);
      continue;
    }
    interruptions = 0;
    // A wall clock run out, or a user the pool cannot give, is not the command's own failure: no retry.
    const retriable = run.exitCode !== 0 && run.failure?.code !== "MaxWallClockTimeExceeded" && run.failure?.code !== "UserIdentityUnavailable" && !ctx.signal?.aborted;
    if (!retriable || (maxRetries >= 0 && retryCount >= maxRetries)) break;
    next = retryCount + 1;
    ctx.log?.(`${what} exited ${run.exitCode}; retry ${next}${of}${afterDelay(next)}`);
  }
  if (withToken) await removeJobTokenKubeconfig(kubeconfig).catch((err: unknown) => ctx.log?.(`${what}: ${kubeconfig} not removed: ${err instanceof Error ? err.message : String(err)}`));
  // Stopped before any attempt here (already, or while a resumed run waited for its retry): callers drop a stopped run's outcome.
  if (!run) return { result: "Failure", startTime, endTime: new Date(), retryCount, lastRetryTime };

  const succeeded = run.exitCode === 0;
  let failureInfo: FailureInfo | undefined;
  if (run.failure?.code === "MaxWallClockTimeExceeded") failureInfo = { category: "UserError", code: "MaxWallClockTimeExpiry", message: run.failure.message };
  else if (run.failure) failureInfo = { category: "UserError", code: run.failure.code, message: run.failure.message };
  else if (!succeeded) failureInfo = { category: "UserError", code: failureExitCode, message: `the task exited with code ${run.exitCode}` };

  let result: "Success" | "Failure" = succeeded && !failureInfo ? "Success" : "Failure";
  try {
    const outputs: readonly OutputFile[] = task.outputFiles ?? [];
    await uploadOutputFiles(outputs, { workingDir: wd, taskDir: dir }, result === "Success", (f) => secretOf(f.destination.container.credentialsSecretRef), ctx.log);
  } catch (err) {
    result = "Failure";
    failureInfo = { category: "UserError", code: fileUploadError, message: err instanceof Error ? err.message : String(err) };
  }
  return {
    exitCode: run.exitCode,
    result,
    failureInfo,
    startTime: run.startTime < startTime ? run.startTime : startTime,
    endTime: new Date(),
    retryCount,
    lastRetryTime,
    ...(await tails(dir)),
  };
}

/** When a retry starts, for the log. */
function afterDelay(retry: number): string {
  const ms = retryDelayMs(retry);
  return ms > 0 ? ` after ${ms / 1000} s` : "";
}

/** Interrupted attempts end the run: every attempt used, or (with -1) too many in a row. */
function interruptedForGood(run: { attempts: number; interruptions: number }, maxRetries: number): boolean {
  return (maxRetries >= 0 && run.attempts > maxRetries) || run.interruptions >= maxInterruptions;
}

/** The outcome of a task whose attempts ran out with the agent's restarts: it is not started again. */
function interrupted(resume: NonNullable<ExecutionContext["resume"]>, maxRetries: number, outputTails: Pick<TaskOutcome, "stdoutTail" | "stderrTail">): TaskOutcome {
  const why = maxRetries >= 0 && resume.attempts > maxRetries ? `its ${resume.attempts} attempt(s) are used up (maxTaskRetryCount ${maxRetries})` : `${resume.interruptions} attempts in a row ended that way`;
  return {
    result: "Failure",
    failureInfo: {
      category: "UserError",
      code: taskInterrupted,
      message: `the task's process ended with the node's containers (killed or restarted under it: out of memory, or a signal to the node's runner or agent); ${why}`,
    },
    startTime: resume.startTime,
    endTime: new Date(),
    retryCount: Math.max(0, resume.attempts - 1),
    ...outputTails,
  };
}

/** The newest bytes of the task's stdout.txt and stderr.txt (reaching into stdout.txt.1 right after a rotation); absent when empty. */
async function tails(dir: string): Promise<Pick<TaskOutcome, "stdoutTail" | "stderrTail">> {
  const [out, err] = await Promise.all(["stdout.txt", "stderr.txt"].map((f) => newestBytes(join(dir, f), tailBytes)));
  const text = (b: Buffer) => (b.length > 0 ? b.toString("utf8") : undefined);
  return { stdoutTail: text(out!), stderrTail: text(err!) };
}
