// Job.status from the job's spec and task counts, and the events a new status is worth (pure).
// The counts move with every task change the informers report (see DispatchState.countsOfJob).
// The state follows Azure Batch: Active → Disabling → Disabled → Enabling → Active, and →
// Terminating → Completed once something ends the job (first reason wins and sticks): terminate
// (the user's reason or UserTerminate), constraints.maxWallClockTime (MaxWallClockTimeExpiry),
// the job manager task with killJobOnCompletion (JMComplete), a task's exit conditions with
// jobAction Terminate under onTaskFailure PerformExitOptionsJobAction (TaskFailed),
// onAllTasksComplete TerminateJob (AllTasksComplete). Terminating and Disabling last while
// tasks are in flight.
import { poolIdOf } from "../../../api/pool-id.ts";
import { asReason, setCondition, type Condition } from "../../../api/conditions.ts";
import { parseDuration } from "../../../api/duration.ts";
import type { Job, JobState, JobStatus } from "../../../api/job.ts";
import type { JobTaskCounts } from "../dispatch/dispatch-state.ts";
import type { EventType, ObjectEvent } from "../../../kube/events.ts";

/** Why the job must end besides its own spec, with who asked (for the message). */
export type EndRequest = { reason: "TaskFailed" | "JMComplete"; detail: string };

export type JobObservation = { job: Job; counts: JobTaskCounts; poolExists: boolean; now: Date; endRequest?: EndRequest };

export type TaskCounts = Required<NonNullable<JobStatus["taskCounts"]>>;

export function taskCounts(c: JobTaskCounts): TaskCounts {
  return { active: c.active, running: c.running, completed: c.succeeded + c.failed, succeeded: c.succeeded, failed: c.failed };
}

/** When the job's maxWallClockTime runs out, from its start; undefined without a limit. */
export function wallClockDeadline(job: Job): number | undefined {
  const max = job.spec.constraints.maxWallClockTime;
  const start = job.status?.executionInfo?.startTime ?? job.metadata.creationTimestamp;
  if (!max || !start) return undefined;
  return new Date(start).getTime() + parseDuration(max);
}

/** The reason the job ends now, or undefined while it should go on. */
function endReason(obs: JobObservation, allDone: boolean): { reason: string; detail?: string } | undefined {
  const { job } = obs;
  const previous = job.status;
  if ((previous?.state === "Terminating" || previous?.state === "Completed") && previous.executionInfo?.terminateReason) return { reason: previous.executionInfo.terminateReason };
  if (job.spec.terminate) return { reason: job.spec.terminateReason ?? "UserTerminate", detail: "spec.terminate is set" };
  const deadline = wallClockDeadline(job);
  if (deadline !== undefined && obs.now.getTime() >= deadline) return { reason: "MaxWallClockTimeExpiry", detail: `the job ran longer than constraints.maxWallClockTime ${job.spec.constraints.maxWallClockTime}` };
  if (obs.endRequest) return { reason: obs.endRequest.reason, detail: obs.endRequest.detail };
  if (allDone && job.spec.onAllTasksComplete === "TerminateJob") return { reason: "AllTasksComplete", detail: "every task completed (onAllTasksComplete TerminateJob)" };
  return undefined;
}

export function jobStatus(obs: JobObservation): JobStatus {
  const { job, now } = obs;
  const previous = job.status ?? {};
  const generation = job.metadata.generation ?? 0;
  const counts = taskCounts(obs.counts);
  // A collection still being listed or cut has items not counted yet.
  const uncut = obs.counts.uncutCollections ?? 0;
  const allDone = counts.completed > 0 && counts.completed === obs.counts.total && uncut === 0;
  const inFlight = obs.counts.inFlight;
  const poolId = poolIdOf(job);
  const prev: JobState = previous.state ?? "Active";

  let state: JobState = prev;
  let terminateReason = previous.executionInfo?.terminateReason;
  let endTime = previous.executionInfo?.endTime;
  let detail: string | undefined;
  if (prev !== "Completed") {
    const end = endReason(obs, allDone);
    if (end) {
      terminateReason = end.reason;
      detail = end.detail;
      state = inFlight > 0 ? "Terminating" : "Completed";
    } else if (job.spec.disabled) {
      // Requeue and Terminate take the running tasks away; Wait lets them finish.
      state = inFlight > 0 ? "Disabling" : "Disabled";
    } else {
      state = prev === "Disabled" || prev === "Disabling" ? "Enabling" : "Active";
    }
    if (state === "Completed") endTime = now.toISOString();
  }

  let conditions: Condition[] | undefined = previous.conditions;
  const set = (type: string, status: "True" | "False", reason: string, message: string) => {
    conditions = setCondition(conditions, { type, status, reason, message, observedGeneration: generation }, now);
  };
  if (state === "Completed") {
    // Its pool may go (an auto pool is deleted with the job): nothing waits for it any more.
  } else if (obs.poolExists) set("PoolReady", "True", "PoolFound", `pool ${poolId} exists`);
  else if (job.spec.poolInfo.autoPoolSpecification) set("PoolReady", "False", "AutoPoolPending", `auto pool ${poolId} is being created`);
  else set("PoolReady", "False", "PoolNotFound", `pool ${poolId} does not exist in namespace ${job.metadata.namespace}; tasks wait until it does`);
  const summary = `${counts.completed}/${obs.counts.total} tasks completed (${counts.succeeded} succeeded, ${counts.failed} failed), ${counts.running} running, ${counts.active} active${uncut > 0 ? `; ${uncut} task collection(s) not cut into chunks yet (items not counted)` : ""}`;
  set("AllTasksComplete", allDone ? "True" : "False", allDone ? "AllTasksComplete" : "TasksPending", summary);
  if (prev === "Completed") {
    // Set when it completed, with the reason's detail: kept as it was.
  } else if (state === "Completed" || state === "Terminating") {
    const why = detail ? `${terminateReason} (${detail})` : terminateReason;
    // A user's free-text terminateReason stays in executionInfo and the message; the reason must be a reason.
    set("Completed", state === "Completed" ? "True" : "False", state === "Completed" ? asReason(terminateReason, terminateReason === undefined ? "Completed" : "UserTerminate") : "Terminating",
      state === "Completed" ? `job completed: ${why}; ${summary}` : `terminating: ${why}; ending ${inFlight} task(s) in flight; ${summary}`);
  } else set("Completed", "False", "JobActive", summary);

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
      terminateReason: state === "Completed" || state === "Terminating" ? terminateReason : undefined,
    },
  };
}

/** The events a new status is worth: a change of state, and a pool that does not exist. `job.status` is the one before. */
export function statusEvents(job: Job, status: JobStatus): ObjectEvent[] {
  const events: ObjectEvent[] = [];
  if (status.state !== job.status?.state) {
    const said = status.conditions?.find((c) => c.type === "Completed")?.message ?? "";
    const reason = status.executionInfo?.terminateReason;
    // Ending is a Warning unless the job ended as planned.
    const ended: EventType = reason === "AllTasksComplete" || reason === "JMComplete" ? "Normal" : "Warning";
    const byState: Partial<Record<JobState, ObjectEvent>> = {
      Terminating: { type: ended, reason: "JobTerminating", message: said },
      Completed: { type: ended, reason: "JobCompleted", message: said },
      Disabling: { type: "Normal", reason: "JobDisabling", message: `disabling: ${job.spec.disableTasks} its tasks in flight` },
      Disabled: { type: "Normal", reason: "JobDisabled", message: "no task of the job starts until spec.disabled is false" },
      Enabling: { type: "Normal", reason: "JobEnabling", message: "spec.disabled is false: the job's tasks may start again" },
    };
    const e = status.state && byState[status.state];
    if (e) events.push(e);
  }
  if (status.conditions?.some((c) => c.type === "PoolReady" && c.reason === "PoolNotFound")) events.push({ type: "Warning", reason: "PoolNotFound", message: `pool ${poolIdOf(job)} does not exist` });
  return events;
}
