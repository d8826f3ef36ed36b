// Job.status from the job's task counts as the scheduler's state keeps them (pure). The counts
// move with every task change the informers report (see DispatchState.countsOfJob).
import { poolIdOf } from "../auto-pool/pool-id.ts";
import { setCondition, type Condition } from "../api/conditions.ts";
import type { Job, JobStatus } from "../api/job.ts";
import type { JobTaskCounts } from "../dispatch/dispatch-state.ts";

export type JobObservation = { job: Job; counts: JobTaskCounts; poolExists: boolean; now: Date };

export type TaskCounts = Required<NonNullable<JobStatus["taskCounts"]>>;

export function taskCounts(c: JobTaskCounts): TaskCounts {
  return { active: c.active, running: c.running, completed: c.succeeded + c.failed, succeeded: c.succeeded, failed: c.failed };
}

export function jobStatus(obs: JobObservation): JobStatus {
  const { job, now } = obs;
  const previous = job.status ?? {};
  const generation = job.metadata.generation ?? 0;
  const counts = taskCounts(obs.counts);
  const allDone = counts.completed > 0 && counts.completed === obs.counts.total;
  const poolId = poolIdOf(job);

  let state = previous.state ?? "Active";
  let terminateReason = previous.executionInfo?.terminateReason;
  let endTime = previous.executionInfo?.endTime;
  if (state !== "Completed") {
    if (job.spec.terminate) {
      state = "Completed";
      terminateReason = job.spec.terminateReason ?? "UserTerminate";
    } else if (allDone && job.spec.onAllTasksComplete === "TerminateJob") {
      state = "Completed";
      terminateReason = "AllTasksComplete";
    } else {
      state = job.spec.disabled ? "Disabled" : "Active";
    }
    if (state === "Completed") endTime = now.toISOString();
  }

  let conditions: Condition[] | undefined = previous.conditions;
  const set = (type: string, status: "True" | "False", reason: string, message: string) => {
    conditions = setCondition(conditions, { type, status, reason, message, observedGeneration: generation }, now);
  };
  if (obs.poolExists) set("PoolReady", "True", "PoolFound", `pool ${poolId} exists`);
  else set("PoolReady", "False", "PoolNotFound", `pool ${poolId} does not exist in namespace ${job.metadata.namespace}; tasks wait until it does`);
  const summary = `${counts.completed}/${obs.counts.total} tasks completed (${counts.succeeded} succeeded, ${counts.failed} failed), ${counts.running} running, ${counts.active} active`;
  set("AllTasksComplete", allDone ? "True" : "False", allDone ? "AllTasksComplete" : "TasksPending", summary);
  set("Completed", state === "Completed" ? "True" : "False", state === "Completed" ? (terminateReason ?? "Completed") : "JobActive", state === "Completed" ? `job completed: ${terminateReason}; ${summary}` : summary);

  return {
    observedGeneration: generation,
    conditions,
    state,
    stateTransitionTime: previous.state === state && previous.stateTransitionTime ? previous.stateTransitionTime : now.toISOString(),
    previousState: previous.state === state ? previous.previousState : previous.state,
    taskCounts: counts,
    executionInfo: {
      startTime: previous.executionInfo?.startTime ?? now.toISOString(),
      endTime,
      poolId,
      terminateReason,
    },
  };
}
