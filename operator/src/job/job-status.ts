// Job.status from the job's tasks as the scheduler's cache holds them (pure). Counts are
// recomputed from the whole set each time, so they cannot drift.
import { setCondition, type Condition } from "../api/conditions.ts";
import type { Job, JobStatus } from "../api/job.ts";
import type { TaskEntry } from "../dispatch/dispatch-state.ts";

export type JobObservation = { job: Job; tasks: readonly TaskEntry[]; poolExists: boolean; now: Date };

export type TaskCounts = Required<NonNullable<JobStatus["taskCounts"]>>;

export function taskCounts(tasks: readonly TaskEntry[]): TaskCounts {
  const counts = { active: 0, running: 0, completed: 0, succeeded: 0, failed: 0 };
  for (const t of tasks) {
    if (t.completed) {
      counts.completed++;
      if (t.result === "Failure") counts.failed++;
      else counts.succeeded++;
    } else if (t.state === "Running" || t.state === "Preparing") counts.running++;
    else counts.active++;
  }
  return counts;
}

export function jobStatus(obs: JobObservation): JobStatus {
  const { job, tasks, now } = obs;
  const previous = job.status ?? {};
  const generation = job.metadata.generation ?? 0;
  const counts = taskCounts(tasks);
  const allDone = counts.completed > 0 && counts.completed === tasks.length;
  const poolId = job.spec.poolInfo.poolId;

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
  const summary = `${counts.completed}/${tasks.length} tasks completed (${counts.succeeded} succeeded, ${counts.failed} failed), ${counts.running} running, ${counts.active} active`;
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
