// Runs one task on this node: its folder, resource files, the Batch environment, the command
// line (retried up to maxTaskRetryCount), output files; returns what the status reports.
import { open } from "node:fs/promises";
import { join } from "node:path";
import type { FailureInfo } from "../../../operator/src/api/failure-info.ts";
import type { Job } from "../../../operator/src/api/job.ts";
import type { OutputFile } from "../../../operator/src/api/output-file.ts";
import { parseDuration } from "../../../operator/src/api/duration.ts";
import type { ResourceFile } from "../../../operator/src/api/resource-file.ts";
import type { Task } from "../../../operator/src/api/task.ts";
import { fetchResourceFiles } from "../fetch/resource-files.ts";
import { batchEnvironment, nodeLayout, userEnvironment, type NodeIdentity } from "../node-layout.ts";
import { runProcess } from "../process/run-process.ts";
import { uploadOutputFiles } from "./output-files.ts";

export type TaskOutcome = {
  exitCode: number;
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
  /** The agent's own environment (PATH and the like), without the runner's variables. */
  baseEnv: NodeJS.ProcessEnv;
  secret: (name: string, key: string) => Promise<string | undefined>;
  autoStorageConnectionString?: string;
  /** Called once, when the command first starts. */
  onStarted?: (at: Date) => void;
  signal?: AbortSignal;
  log?: (line: string) => void;
};

const tailBytes = 1024;

export async function executeTask(task: Task, job: Job | undefined, ctx: ExecutionContext): Promise<TaskOutcome> {
  const layout = nodeLayout(ctx.node.rootDir);
  const dir = layout.taskDir(task.spec.jobName, task.spec.id);
  const wd = join(dir, "wd");
  const startTime = new Date();
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
    const resourceFiles: readonly ResourceFile[] = task.spec.resourceFiles ?? [];
    const secrets = await Promise.all(resourceFiles.map((f) => secretOf(f.credentialsSecretRef)));
    await fetchResourceFiles(resourceFiles, wd, { credentialFor: (_f, i) => secrets[i], autoStorageConnectionString: ctx.autoStorageConnectionString, log: ctx.log });
  } catch (err) {
    return fail("ResourceFileDownloadFailed", err instanceof Error ? err.message : String(err));
  }

  const env: NodeJS.ProcessEnv = {
    ...userEnvironment(ctx.baseEnv),
    ...batchEnvironment(ctx.node, { jobId: task.spec.jobName, taskId: task.spec.id }),
  };
  for (const s of job?.spec.commonEnvironmentSettings ?? []) env[s.name] = s.value ?? "";
  for (const s of task.spec.environmentSettings ?? []) env[s.name] = s.value ?? "";

  const maxRetries = task.spec.constraints.maxTaskRetryCount ?? job?.spec.constraints.maxTaskRetryCount ?? 0;
  const maxWallClockMs = task.spec.constraints.maxWallClockTime ? parseDuration(task.spec.constraints.maxWallClockTime) : undefined;
  let retryCount = 0;
  let lastRetryTime: Date | undefined;
  let started = false;
  let run;
  for (;;) {
    if (!started) {
      started = true;
      ctx.onStarted?.(new Date());
    }
    run = await runProcess({ commandLine: task.spec.commandLine, cwd: wd, outputDir: dir, env, maxWallClockMs, signal: ctx.signal });
    const retriable = run.exitCode !== 0 && run.failure?.code !== "MaxWallClockTimeExceeded" && !ctx.signal?.aborted;
    if (!retriable || (maxRetries >= 0 && retryCount >= maxRetries)) break;
    retryCount++;
    lastRetryTime = new Date();
    ctx.log?.(`task ${task.spec.jobName}/${task.spec.id} exited ${run.exitCode}; retry ${retryCount}${maxRetries < 0 ? "" : ` of ${maxRetries}`}`);
  }

  const succeeded = run.exitCode === 0;
  let failureInfo: FailureInfo | undefined;
  if (run.failure?.code === "MaxWallClockTimeExceeded") failureInfo = { category: "UserError", code: "MaxWallClockTimeExpiry", message: run.failure.message };
  else if (run.failure) failureInfo = { category: "UserError", code: run.failure.code, message: run.failure.message };
  else if (!succeeded) failureInfo = { category: "UserError", code: "FailureExitCode", message: `the task exited with code ${run.exitCode}` };

  let result: "Success" | "Failure" = succeeded && !failureInfo ? "Success" : "Failure";
  try {
    const outputs: readonly OutputFile[] = task.spec.outputFiles ?? [];
    await uploadOutputFiles(outputs, wd, result === "Success", (f) => secretOf(f.destination.container.credentialsSecretRef));
  } catch (err) {
    result = "Failure";
    failureInfo = { category: "UserError", code: "FileUploadError", message: err instanceof Error ? err.message : String(err) };
  }
  return {
    exitCode: run.exitCode,
    result,
    failureInfo,
    startTime: run.startTime < startTime ? run.startTime : startTime,
    endTime: new Date(),
    retryCount,
    lastRetryTime,
    stdoutTail: await tail(join(dir, "stdout.txt")),
    stderrTail: await tail(join(dir, "stderr.txt")),
  };
}

async function tail(path: string): Promise<string | undefined> {
  try {
    const fh = await open(path, "r");
    try {
      const { size } = await fh.stat();
      const length = Math.min(size, tailBytes);
      const buf = Buffer.alloc(length);
      await fh.read(buf, 0, length, size - length);
      return length > 0 ? buf.toString("utf8") : undefined;
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}
