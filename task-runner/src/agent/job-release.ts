// The job release task (Azure Batch JobReleaseTask) on this node: when a job ends —
// state Completed (terminated, all tasks complete under TerminateJob, wall clock) or
// deleted — every node that ran its tasks or its preparation runs the release task once,
// after the job's task processes there have stopped, within its maxWallClockTime and
// without retries. The outcome goes into the job's record on the node (job-record.ts), so
// an agent that starts later (restart in the same node pod) runs the release tasks it still
// owes and never one twice.
import type { Job } from "../../../api/job.ts";
import type { EventKind } from "../../../kube/informer.ts";
import type { JobRecord, JobRecords } from "./job-record.ts";
import { runRecord, type Exec, type JobPreparations, type Report } from "./job-preparation.ts";
import type { RunnableTask } from "./task-execution.ts";

export type ReleaseDeps = {
  nodeId: string;
  records: JobRecords;
  exec: Exec;
  log: (line: string) => void;
  report?: Report;
  preparations: JobPreparations;
  /** The runs of the job's tasks on this node that have not ended yet. */
  tasksRunning: (jobName: string) => Promise<unknown>[];
};

/** Whether the job has ended, as far as its release task is concerned. */
export function jobEnded(kind: EventKind, job: Pick<Job, "status">): boolean {
  return kind === "delete" || job.status?.state === "Completed";
}

/** Whether this node owes the job its release task. */
export function releaseDue(job: Pick<Job, "spec">, record: Pick<JobRecord, "ranTasks" | "preparation" | "release"> | undefined): boolean {
  return job.spec.jobReleaseTask !== undefined && record !== undefined && (record.ranTasks === true || record.preparation !== undefined) && record.release === undefined;
}

/** The release task of a job, shaped for executeTask: no retries, its own wall clock. */
export function releaseTask(job: Job): RunnableTask | undefined {
  const rel = job.spec.jobReleaseTask;
  if (!rel) return undefined;
  return {
    jobName: job.metadata.name,
    id: rel.id,
    commandLine: rel.commandLine,
    resourceFiles: rel.resourceFiles,
    environmentSettings: rel.environmentSettings,
    ...(rel.userIdentity ? { userIdentity: rel.userIdentity } : {}),
    constraints: { maxWallClockTime: rel.maxWallClockTime, maxTaskRetryCount: 0 },
  };
}

export class JobReleases {
  private readonly deps: ReleaseDeps;
  /** Job uids already handled (released, or nothing owed). */
  private readonly seen = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(deps: ReleaseDeps) {
    this.deps = deps;
  }

  /** Called with every job event (the initial list included). */
  onJob(kind: EventKind, job: Job): void {
    const uid = job.metadata.uid ?? "";
    if (this.abort.signal.aborted || !jobEnded(kind, job) || this.seen.has(uid)) return;
    this.seen.add(uid);
    const p: Promise<void> = this.finish(job)
      .catch((err: unknown) => this.deps.log(`job release task of ${job.metadata.namespace}/${job.metadata.name}: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** Stops running release tasks (the agent is stopping); they are not recorded, so they run again if the agent comes back. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Resolves when every release task started so far has ended (for tests). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private async finish(job: Job): Promise<void> {
    const { nodeId, records, exec, log, preparations } = this.deps;
    const uid = job.metadata.uid ?? "";
    const name = `${job.metadata.namespace}/${job.metadata.name}`;
    // The job's tasks here are being stopped by now; release after they and the preparation have.
    await preparations.cancel(uid);
    await Promise.allSettled(this.deps.tasksRunning(job.metadata.name));
    const task = releaseTask(job);
    const record = await records.get(job.metadata.name, uid);
    if (task && releaseDue(job, record)) {
      log(`job release task of ${name} started`);
      const outcome = await exec(task, job, this.abort.signal);
      const seconds = ((outcome.endTime.getTime() - outcome.startTime.getTime()) / 1000).toFixed(1);
      if (this.abort.signal.aborted) {
        log(`job release task of ${name} stopped after ${seconds}s (the agent is stopping)`);
        return;
      }
      const summary = `exit code ${outcome.exitCode ?? "none"}, ${outcome.result}${outcome.failureInfo ? ` (${outcome.failureInfo.code})` : ""}, ${seconds}s`;
      log(`job release task of ${name} finished: ${summary}`);
      const failed = outcome.result !== "Success";
      this.deps.report?.(job, failed ? "Warning" : "Normal", failed ? "JobReleaseTaskFailed" : "JobReleaseTaskCompleted", `node ${nodeId}: ${summary}${failed && outcome.stderrTail ? `: ${outcome.stderrTail.trim().slice(-256)}` : ""}`);
      await records.update(job.metadata.name, uid, (r) => ({ ...r, release: runRecord(outcome) }));
    }
    preparations.forget(uid);
  }
}
