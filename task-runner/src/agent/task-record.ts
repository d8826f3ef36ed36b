// What the agent knows about one run of a task on this node, kept in the agent's own state
// folder (`<state dir>/tasks/<job>/<task>/kubatch-task.json`, an emptyDir of the node pod that
// only the agent's container mounts, so user code cannot forge it): the assignment it ran under, how many
// times the command started, and — once the run ended — the Completed status still to be
// written. It outlives an agent restart in the same node pod, so a run that ended is reported
// and never run again, and an attempt cut short by the agent's own end counts as an attempt
// (maxTaskRetryCount stays exact). A new node pod starts with an empty root and knows nothing;
// the operator requeues what its old pod held.
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export type TaskRecord = {
  /** The Task's uid: a task deleted and created again under the same name starts afresh. */
  uid: string;
  /** The assignment annotation the run started under ("" for tasks assigned before it existed). */
  assignment: string;
  /** Command starts so far. Each but a finished run's last one ended in failure or was interrupted. */
  attempts: number;
  /** Attempts in a row that ended with the agent rather than with an exit code. */
  interruptions: number;
  startTime?: string;
  lastRetryTime?: string;
  /** The Completed status of the ended run, until the API server has it. */
  completed?: Record<string, unknown>;
};

export const taskRecordFileName = "kubatch-task.json";

export async function readTaskRecord(taskDir: string, uid: string, assignment: string): Promise<TaskRecord | undefined> {
  let text: string;
  try {
    text = await readFile(join(taskDir, taskRecordFileName), "utf8");
  } catch {
    return undefined;
  }
  const r = parseTaskRecord(text);
  return r && r.uid === uid && r.assignment === assignment ? r : undefined;
}

/** Written whole (temp file + rename): a crash leaves the old record or the new one, never half. */
export async function writeTaskRecord(taskDir: string, record: TaskRecord): Promise<void> {
  await mkdir(taskDir, { recursive: true });
  const tmp = join(taskDir, `.${taskRecordFileName}.tmp`);
  await writeFile(tmp, JSON.stringify(record) + "\n");
  await rename(tmp, join(taskDir, taskRecordFileName));
}

export async function removeTaskRecord(taskDir: string): Promise<void> {
  await rm(join(taskDir, taskRecordFileName), { force: true });
}

/** A record read from disk, or undefined when it is not one (a torn or foreign file counts as none). */
export function parseTaskRecord(text: string): TaskRecord | undefined {
  try {
    const r = JSON.parse(text) as TaskRecord;
    const ok = typeof r === "object" && r !== null && typeof r.uid === "string" && typeof r.assignment === "string" && Number.isInteger(r.attempts) && Number.isInteger(r.interruptions);
    return ok ? r : undefined;
  } catch {
    return undefined;
  }
}
