// The record of a start task that runs without waitForSuccess (in the tasks container, beside
// the first tasks): the runner writes it to startup/start-task-info.json as each attempt starts
// and ends, the agent reports it on its pod (agent/start-task-report.ts), and the operator
// reads it into status.nodes[].startTaskInfo. With waitForSuccess the kubelet's status of the
// start-task init container says the same.
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startTaskInfoSchema, type StartTaskInfo } from "../../../api/pool.ts";
import { failureExitCode } from "../../../api/failure-codes.ts";
import type { ProcessResult } from "../process/run-process.ts";

export const startTaskInfoFile = "start-task-info.json";

export function startTaskInfoPath(startupDir: string): string {
  return join(startupDir, startTaskInfoFile);
}

/** Written whole through a rename, so a reader never sees half of it. */
export async function writeStartTaskInfo(path: string, info: StartTaskInfo): Promise<void> {
  await writeFile(`${path}.tmp`, JSON.stringify(info));
  await rename(`${path}.tmp`, path);
}

/** The record, or undefined when there is none yet (or it is not one). */
export async function readStartTaskInfo(path: string): Promise<StartTaskInfo | undefined> {
  try {
    const parsed = startTaskInfoSchema.safeParse(JSON.parse(await readFile(path, "utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** An attempt's end as Azure Batch records it; a failure's message carries the stderr tail. */
export function completedInfo(result: ProcessResult, retryCount: number, stderrTail: string): StartTaskInfo {
  const failed = result.exitCode !== 0;
  const tail = stderrTail.trim();
  const why = result.failure ? `${result.failure.code}: ${result.failure.message}` : `the start task exited with code ${result.exitCode}`;
  return {
    state: "Completed",
    startTime: result.startTime.toISOString(),
    endTime: result.endTime.toISOString(),
    exitCode: result.exitCode,
    retryCount,
    result: failed ? "Failure" : "Success",
    ...(failed ? { failureInfo: { category: "UserError" as const, code: failureExitCode, message: (tail ? `${why}: ${tail}` : why).slice(0, 1024) } } : {}),
  };
}
