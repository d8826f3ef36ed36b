// The job preparation task (Azure Batch JobPreparationTask) on this node: it runs once,
// before the first of the job's tasks starts here; tasks arriving together share that run.
// With waitForSuccess (the default) the tasks wait for it, and when it fails (after its
// retries) the job's tasks on this node go back unrun: a Task is given back to the operator
// (its status.preparationFailedNodes names the node), which schedules none of the job's tasks
// here again — Azure Batch leaves them to other nodes — and tells them why they wait when
// every node failed it; a chunk goes back the same way with its items not done. The
// outcome is kept in the job's record on the node (job-record.ts), so an agent restarted in
// the same node pod does not run it again.
import type { FailureInfo } from "../../../api/failure-info.ts";
import type { Job } from "../../../api/job.ts";
import type { JobRecord, JobRecords, RunRecord } from "./job-record.ts";
import type { RunnableTask, TaskOutcome } from "./task-execution.ts";
import { failureExitCode, jobPreparationTaskFailed } from "../../../api/failure-codes.ts";

export type Readiness = { ok: true } | { ok: false; failureInfo: FailureInfo };

/** Runs a job's preparation or release task on this node (executeTask with the agent's context). */
export type Exec = (task: RunnableTask, job: Job, signal: AbortSignal) => Promise<TaskOutcome>;

/** Reports a per-node outcome on the Job (a Kubernetes Event: `kubectl events --for kjob/NAME`). */
export type Report = (job: Job, type: "Normal" | "Warning", reason: string, message: string) => void;

export type PreparationDeps = {
  nodeId: string;
  records: JobRecords;
  exec: Exec;
  log: (line: string) => void;
  report?: Report;
};

/**
 * Whether the preparation runs now, given the job's record on this node. A record this node
 * wrote stands (the agent restarted; a failed preparation keeps the node ineligible for the
 * job, as in Azure Batch until the node is reimaged). A record another node pod wrote means
 * the root directory outlived that pod (a configured volume): a reboot, so it runs again
 * unless it succeeded and rerunOnNodeRebootAfterSuccess is false.
 */
export function preparationDecision(record: Pick<JobRecord, "nodeId" | "preparation"> | undefined, nodeId: string, rerunOnNodeRebootAfterSuccess: boolean): "run" | "succeeded" | "failed" {
  const prep = record?.preparation;
  if (!record || !prep) return "run";
  if (record.nodeId === nodeId) return prep.result === "Success" ? "succeeded" : "failed";
  return prep.result === "Success" && !rerunOnNodeRebootAfterSuccess ? "succeeded" : "run";
}

/** The preparation task of a job, shaped for executeTask. */
export function preparationTask(job: Job): RunnableTask | undefined {
  const prep = job.spec.jobPreparationTask;
  if (!prep) return undefined;
  return {
    jobName: job.metadata.name,
    id: prep.id,
    commandLine: prep.commandLine,
    resourceFiles: prep.resourceFiles,
    environmentSettings: prep.environmentSettings,
    ...(prep.userIdentity ? { userIdentity: prep.userIdentity } : {}),
    constraints: prep.constraints,
    isJobPreparation: true,
  };
}

/** What a task whose job preparation failed on this node reports. */
export function preparationFailure(nodeId: string, prepId: string, run: Pick<RunRecord, "exitCode" | "failureCode">, detail?: string): FailureInfo {
  const how = run.exitCode === undefined ? `failed (${run.failureCode ?? "unknown"})` : `exited with code ${run.exitCode}${run.failureCode && run.failureCode !== failureExitCode ? ` (${run.failureCode})` : ""}`;
  const tail = detail?.trim() ? `: ${detail.trim().slice(-512)}` : "";
  return { category: "UserError", code: jobPreparationTaskFailed, message: `the job preparation task ${prepId} ${how} on node ${nodeId}, so the job's tasks do not run there${tail}` };
}

export function runRecord(o: TaskOutcome): RunRecord {
  return {
    result: o.result,
    exitCode: o.exitCode,
    startTime: o.startTime.toISOString(),
    endTime: o.endTime.toISOString(),
    retryCount: o.retryCount,
    ...(o.failureInfo ? { failureCode: o.failureInfo.code } : {}),
  };
}

type PrepRun = { abort: AbortController; done: Promise<Readiness> };

export class JobPreparations {
  private readonly deps: PreparationDeps;
  /** By job uid: the preparation (shared by the job's tasks on this node). */
  private readonly runs = new Map<string, PrepRun>();
  /** Job uids whose record already says the node ran its tasks. */
  private readonly marked = new Map<string, Promise<unknown>>();

  constructor(deps: PreparationDeps) {
    this.deps = deps;
  }

  /**
   * Called before each task of the job starts on this node: records that the node runs the
   * job (for its release task), starts the preparation once, and resolves when the task may
   * run — at once when waitForSuccess is false — or with the failure to report.
   */
  async beforeTask(job: Job, signal: AbortSignal): Promise<Readiness> {
    const uid = job.metadata.uid ?? "";
    let marked = this.marked.get(uid);
    if (!marked) {
      marked = this.deps.records.update(job.metadata.name, uid, (r) => ({ ...r, ranTasks: true }));
      this.marked.set(uid, marked);
      marked.catch(() => this.marked.delete(uid));
    }
    await marked;
    const prep = job.spec.jobPreparationTask;
    if (!prep) return { ok: true };
    let run = this.runs.get(uid);
    if (!run) {
      const abort = new AbortController();
      let failedToRun = false;
      const done = this.prepare(job, abort.signal).catch((err: unknown): Readiness => {
        failedToRun = true;
        const message = err instanceof Error ? err.message : String(err);
        this.deps.log(`job preparation task of ${job.metadata.namespace}/${job.metadata.name} could not run: ${message}`);
        return { ok: false, failureInfo: preparationFailure(this.deps.nodeId, prep.id, { failureCode: "StartFailed" }, message) };
      });
      run = { abort, done };
      this.runs.set(uid, run);
      // A run stopped before it ended (agent stopping, job completed) or that could not
      // start (a node error) is no outcome: the next task of the job tries again.
      const started = run;
      void done.then(() => {
        if ((failedToRun || abort.signal.aborted) && this.runs.get(uid) === started) this.runs.delete(uid);
      });
    }
    if (!prep.waitForSuccess) return { ok: true };
    return untilAborted(run.done, signal);
  }

  /** Stops the job's preparation if it still runs (the job ended) and waits for it. */
  async cancel(jobUid: string): Promise<void> {
    const run = this.runs.get(jobUid);
    if (!run) return;
    run.abort.abort();
    await run.done.catch(() => undefined);
  }

  /** Stops every running preparation (the agent is stopping); nothing is recorded for them. */
  async stop(): Promise<void> {
    await Promise.all([...this.runs.keys()].map((uid) => this.cancel(uid)));
  }

  /** Resolves when every preparation started so far has ended (for tests). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.runs.values()].map((r) => r.done));
  }

  /** Forgets a job (it ended and its release ran). */
  forget(jobUid: string): void {
    this.runs.delete(jobUid);
    this.marked.delete(jobUid);
  }

  private async prepare(job: Job, signal: AbortSignal): Promise<Readiness> {
    const { nodeId, records, exec, log } = this.deps;
    const task = preparationTask(job)!;
    const prep = job.spec.jobPreparationTask!;
    const name = `${job.metadata.namespace}/${job.metadata.name}`;
    const record = await records.get(job.metadata.name, job.metadata.uid ?? "");
    const decision = preparationDecision(record, nodeId, prep.rerunOnNodeRebootAfterSuccess);
    if (decision === "succeeded") return { ok: true };
    if (decision === "failed") {
      log(`job preparation task of ${name} failed here before (${record!.preparation!.failureCode ?? `exit code ${record!.preparation!.exitCode}`}): the job's tasks do not run on this node`);
      return { ok: false, failureInfo: preparationFailure(nodeId, task.id, record!.preparation!) };
    }
    log(`job preparation task of ${name} started${record?.preparation ? " again (node rebooted)" : ""}`);
    const outcome = await exec(task, job, signal);
    const seconds = ((outcome.endTime.getTime() - outcome.startTime.getTime()) / 1000).toFixed(1);
    if (signal.aborted) {
      log(`job preparation task of ${name} stopped after ${seconds}s`);
      return { ok: false, failureInfo: { category: "UserError", code: jobPreparationTaskFailed, message: `the job preparation task ${task.id} was stopped on node ${nodeId}` } };
    }
    const summary = `exit code ${outcome.exitCode ?? "none"}, ${outcome.result}${outcome.failureInfo ? ` (${outcome.failureInfo.code})` : ""}, ${outcome.retryCount} retries, ${seconds}s`;
    log(`job preparation task of ${name} finished: ${summary}`);
    const failed = outcome.result !== "Success";
    this.deps.report?.(job, failed ? "Warning" : "Normal", failed ? "JobPreparationTaskFailed" : "JobPreparationTaskCompleted", `node ${nodeId}: ${summary}${failed && outcome.stderrTail ? `: ${outcome.stderrTail.trim().slice(-256)}` : ""}`);
    const run = runRecord(outcome);
    await records.update(job.metadata.name, job.metadata.uid ?? "", (r) => ({ ...r, nodeId, preparation: run })).catch((err: unknown) =>
      log(`job preparation task of ${name}: outcome not recorded: ${err instanceof Error ? err.message : String(err)}`),
    );
    if (outcome.result === "Success") return { ok: true };
    return { ok: false, failureInfo: preparationFailure(nodeId, task.id, run, outcome.stderrTail ?? outcome.failureInfo?.message) };
  }
}

/** The promise's value, or a failure as soon as the signal aborts (the caller checks the signal). */
function untilAborted(p: Promise<Readiness>, signal: AbortSignal): Promise<Readiness> {
  if (signal.aborted) return Promise.resolve({ ok: false, failureInfo: { category: "UserError", code: "TaskStopped", message: "stopped" } });
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve({ ok: false, failureInfo: { category: "UserError", code: "TaskStopped", message: "stopped" } });
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => (signal.removeEventListener("abort", onAbort), resolve(v)),
      (err: unknown) => (signal.removeEventListener("abort", onAbort), reject(err)),
    );
  });
}
