// `task-runner start-task`: the node pod's `start-task` init container (waitForSuccess: true).
// Runs the start task's command line in $AZ_BATCH_NODE_STARTUP_DIR/wd, retried up to
// maxTaskRetryCount times, with its output in startup/stdout.txt and stderr.txt and echoed to
// the container log (so the termination message carries its tail), and exits with the last
// attempt's exit code. Without waitForSuccess the runner runs it the same way (runStartTask).
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { StartTaskInfo } from "../../../api/pool.ts";
import { completedInfo } from "./start-task-info.ts";
import { batchEnvironment, identityFromEnv, nodeLayout, userEnvironment } from "../../../api/node-layout.ts";
import { runProcess } from "../process/run-process.ts";
import { giveStartup } from "../runner/folder-owner.ts";
import type { ProcessUser } from "../runner/task-users.ts";
import { maxOutputBytes, newestBytes } from "../process/capped-output.ts";
import { commandLineEnv, maxRetriesEnv } from "../../../api/node-contract.ts";

export async function startTaskCommand(_argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const commandLine = env[commandLineEnv];
  if (!commandLine) {
    console.error(`${commandLineEnv} is not set`);
    return 2;
  }
  return runStartTask(commandLine, Number(env[maxRetriesEnv] ?? "0"), env, {});
}

/**
 * The start task with its retries; `settings` are its environmentSettings when they are not in
 * `env` already. `report` hears each attempt's start and the end (the runner's record).
 */
export async function runStartTask(
  commandLine: string,
  maxRetries: number,
  env: NodeJS.ProcessEnv,
  settings: Record<string, string>,
  report?: (info: StartTaskInfo) => Promise<void>,
  /** Who it runs as (the runner of a pool with separateTaskUsers); default the process's own user. */
  user?: ProcessUser,
): Promise<number> {
  const node = identityFromEnv(env);
  const layout = nodeLayout(node.rootDir);
  await mkdir(layout.shared, { recursive: true });
  if (user) {
    await mkdir(layout.startupWd, { recursive: true });
    await giveStartup(layout.startupWd, user);
  }
  const childEnv = { ...userEnvironment(env), ...batchEnvironment(node), ...settings };
  const outputCap = maxOutputBytes(env);
  for (let attempt = 0; ; attempt++) {
    await report?.({ state: "Running", startTime: new Date().toISOString(), retryCount: attempt });
    const result = await runProcess({ commandLine, cwd: layout.startupWd, outputDir: layout.startup, maxOutputBytes: outputCap, env: childEnv, echo: true, user });
    const tries = maxRetries < 0 ? "unlimited retries" : `${maxRetries} retries allowed`;
    console.log(`start task exited with code ${result.exitCode}${result.failure ? ` (${result.failure.code})` : ""} on attempt ${attempt + 1} (${tries})`);
    const last = result.exitCode === 0 || (maxRetries >= 0 && attempt >= maxRetries);
    if (last && report) await report(completedInfo(result, attempt, (await newestBytes(join(layout.startup, "stderr.txt"), 512)).toString("utf8")));
    if (result.exitCode === 0) return 0;
    if (maxRetries >= 0 && attempt >= maxRetries) return result.exitCode;
    await new Promise((r) => setTimeout(r, Math.min(1_000 * 2 ** attempt, 30_000)));
  }
}
