// What a container task needs now (pure), from its Task, its Pods and its job — shaped like the
// auto pool's plan (auto-pool.ts): the reconciler only carries it out (Pods applied or deleted,
// status written, the log tail read) and keeps the index of tasks waiting on dependencies.
// A failed attempt with retries left is recorded in status first, then waits out its back-off
// (retry-backoff.ts) before the next attempt's Pod; only the latest attempt's Pod is kept.
import type { V1Pod } from "@kubernetes/client-node";
import { findCondition, setCondition, type ConditionUpdate } from "../../../api/conditions.ts";
import { parseDuration } from "../../../api/duration.ts";
import type { Job } from "../../../api/job.ts";
import { containerPodActiveSinceAnnotation, containerPodRetryLabel } from "../../../api/labels.ts";
import { poolIdOf } from "../../../api/pool-id.ts";
import type { Task, TaskStatus } from "../../../api/task.ts";
import type { JobObject, TaskObject } from "../../../kube/objects.ts";
import type { OperatorConfig } from "../config/operator-config.ts";
import type { BlockedTask } from "../dispatch/dispatch-state.ts";
import { activeSinceOf, ContainerTaskError, containerTaskPod, taskContainer } from "./container-pod.ts";
import { retryBackoffMs, retryDue } from "./retry-backoff.ts";
import { attemptEndedAt, failedAttemptStatus, podOutcome, taskStatus, type PodOutcome } from "./task-status.ts";

export type EndedOutcome = PodOutcome & { kind: "Ended" };

export type ContainerTaskObservation = {
  raw: TaskObject;
  task: Task & { apiVersion: string; kind: string };
  /** The task's Pods, any order. */
  pods: readonly V1Pod[];
  /** The job from the cache (undefined while it is not there), and parsed when valid. */
  jobObj?: JobObject;
  job?: Job;
  /** Whether the job may start tasks now (the scheduler's view). */
  schedulable: boolean | undefined;
  /** Why its dependencies keep it from starting; asked only when it would start. */
  blockReason: () => BlockedTask | undefined;
  config: OperatorConfig;
  now: Date;
};

/**
 * What to do, whether the task joins or leaves the tasks waiting on dependencies, and when to
 * look again. `older`: Pods of earlier attempts, deleted after the rest (their outcome went into
 * status before the attempt after them started).
 */
export type ContainerTaskPlan = { waiting?: "add" | "remove"; requeueAfterMs?: number; older?: V1Pod[] } & (
  | { action: "none" }
  /** completed: the task was completed by someone else; jobStopped: its job starts no tasks; stale: Pods of an earlier activation. */
  | { action: "deletePods"; pods: V1Pod[]; why: "completed" | "jobStopped" | "stale" }
  /** Only a status to write (a condition, or what the current Pod shows). */
  | { action: "status"; status: TaskStatus }
  /** The Pod of an attempt; `then` the status to write once it is applied. */
  | { action: "start"; pod: V1Pod; retry: number; then?: TaskStatus; retrying?: { max: number } }
  /** A failed attempt to retry: `status` (with the log tail, when `readTail`) is written before the back-off runs. */
  | { action: "record"; pod: V1Pod; retry: number; outcome: EndedOutcome; status: TaskStatus; readTail: boolean; max: number; waitMs: number }
  /** The spec cannot make a Pod: the message for its Warning and the status saying so. */
  | { action: "invalid"; message: string; status: TaskStatus }
  /** The attempt ended (or the wall clock did): the status follows (from `base`), then `deletePods` go. */
  | { action: "complete"; pod?: V1Pod; retry: number; outcome: EndedOutcome; readTail: boolean; deletePods: V1Pod[]; base?: TaskStatus }
);

const jobWaitMs = 5_000;

const retryOf = (pod: V1Pod) => Number(pod.metadata?.labels?.[containerPodRetryLabel] ?? 0);

/**
 * A Pod whose task has run: its phase says so, or its task container has terminated (a kubelet
 * reports the container before it moves the Pod's phase, and the upload step may still run).
 */
const ended = (pod: V1Pod) =>
  pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed" || pod.status?.containerStatuses?.some((c) => c.name === taskContainer && c.state?.terminated !== undefined) === true;

const wallClockExpired = (): EndedOutcome => ({ kind: "Ended", failureInfo: { category: "UserError", code: "MaxWallClockTimeExpiry", message: "the task ran longer than constraints.maxWallClockTime" }, retryable: false });

/** status with the condition set; `status` itself when the condition is already so. */
function withCondition(status: TaskStatus | undefined, update: ConditionUpdate, now: Date): TaskStatus {
  const conditions = setCondition(status?.conditions, update, now);
  return conditions === status?.conditions ? (status ?? {}) : { ...status, conditions };
}

/** Schedulable=False while a failed attempt waits out its back-off: it names the attempt, so it also says the attempt is recorded. */
const retryBackOff = "RetryBackOff";

export function planContainerTask(obs: ContainerTaskObservation): ContainerTaskPlan {
  const owned = [...obs.pods].sort((a, b) => retryOf(b) - retryOf(a));
  const plan = decide(obs, owned);
  const listed = new Set([...(plan.action === "deletePods" ? plan.pods : []), ...(plan.action === "complete" ? plan.deletePods : [])]);
  const older = owned.slice(1).filter((p) => !p.metadata?.deletionTimestamp && !listed.has(p));
  return older.length > 0 ? { ...plan, older } : plan;
}

/** The plan for the task's Pods, latest attempt first. */
function decide(obs: ContainerTaskObservation, owned: V1Pod[]): ContainerTaskPlan {
  const { raw, task, jobObj, job, now } = obs;
  const status = raw.status;
  const generation = raw.metadata?.generation ?? 0;
  const live = owned.filter((p) => !ended(p) && !p.metadata?.deletionTimestamp);
  const active = (status?.state ?? "Active") === "Active";

  // Completed by someone else (job terminated or disabled): stop what still runs.
  if (status?.state === "Completed") return { action: "deletePods", pods: live, why: "completed", waiting: "remove" };
  // Back to Active — reactivated (from Completed) or requeued (from Running, the job was
  // disabled with Requeue): the earlier attempts' Pods go first (their names are reused).
  if (active && status?.previousState !== undefined && status.previousState !== "Active") {
    const stale = owned.filter((p) => p.metadata?.annotations?.[containerPodActiveSinceAnnotation] !== activeSinceOf(raw));
    if (stale.length > 0) return { action: "deletePods", pods: stale.filter((p) => !p.metadata?.deletionTimestamp), why: "stale", requeueAfterMs: 1_000 };
  }
  // Not started yet (still Active) while the job stopped starting tasks (disabled, terminating,
  // completed): the Pod goes; the task stays Active and gets a new Pod once the job is Active.
  if (active && live.length > 0 && obs.schedulable === false) return { action: "deletePods", pods: live, why: "jobStopped" };

  const c = task.spec.constraints;
  const maxRetries = c.maxTaskRetryCount ?? job?.spec.constraints.maxTaskRetryCount ?? 0;
  const wallMs = c.maxWallClockTime ? parseDuration(c.maxWallClockTime) : undefined;
  const startedMs = status?.executionInfo?.startTime ? Date.parse(status.executionInfo.startTime) : undefined;
  const leftMs = wallMs !== undefined && startedMs !== undefined ? wallMs - (now.getTime() - startedMs) : wallMs;
  const expired = leftMs !== undefined && leftMs <= 0;
  const deadlineSeconds = leftMs !== undefined ? leftMs / 1000 : undefined;
  const poolId = poolIdOf(jobObj ?? {});
  const attempt = (retry: number): { pod: V1Pod } | { invalid: string } => {
    try {
      return { pod: containerTaskPod({ task, job, poolId, config: obs.config, retry, deadlineSeconds }) };
    } catch (err) {
      if (!(err instanceof ContainerTaskError)) throw err;
      return { invalid: err.message };
    }
  };
  const invalid = (message: string): ContainerTaskPlan => ({
    action: "invalid",
    message,
    status: withCondition(status, { type: "Schedulable", status: "False", reason: "InvalidSpec", message, observedGeneration: generation }, now),
  });
  const current = owned[0];
  /** Schedulable True once a Pod exists (it may say the task waited); undefined when it is so or absent. */
  const podCreated = (s: TaskStatus | undefined) => {
    const c = findCondition(s?.conditions, "Schedulable");
    return c && c.status !== "True" ? withCondition(s, { type: "Schedulable", status: "True", reason: "PodCreated", message: "the task runs as its own Pod", observedGeneration: generation }, now) : undefined;
  };
  /** Schedulable True when it still says a back-off runs, though a later attempt exists or none is to come. */
  const backOffOver = (s: TaskStatus | undefined) => (findCondition(s?.conditions, "Schedulable")?.reason === retryBackOff ? podCreated(s) : undefined);

  if (!current) {
    if (!jobObj || !obs.schedulable) return { action: "none", requeueAfterMs: jobWaitMs };
    // The same rules as for tasks on nodes: usesTaskDependencies, missing, failed (Block), cycles.
    const blocked = obs.blockReason();
    if (blocked) {
      const next = withCondition(status, { type: "Schedulable", status: "False", reason: blocked.reason, message: blocked.message.slice(0, 1024), observedGeneration: generation }, now);
      return { action: "status", status: next, waiting: "add" };
    }
    const retry = status?.executionInfo?.retryCount ?? 0;
    if (expired) return { action: "complete", retry, outcome: wallClockExpired(), readTail: false, deletePods: [], waiting: "remove" };
    const made = attempt(retry);
    if ("invalid" in made) return { ...invalid(made.invalid), waiting: "remove" };
    return { action: "start", pod: made.pod, retry, then: podCreated(status), waiting: "remove" };
  }

  const retry = retryOf(current);
  const podName = current.metadata!.name!;
  const attemptTime = current.metadata?.creationTimestamp ? new Date(current.metadata.creationTimestamp).toISOString() : undefined;
  let outcome = podOutcome(current, task.spec.containerSettings!.imageName);
  if (outcome.kind === "Ended" && outcome.retryable && (maxRetries < 0 || retry < maxRetries) && !expired) {
    // Counted from the attempt's end on its Pod (kept until a later attempt's exists), so an
    // operator restart does not start the back-off over.
    const { dueMs, waitMs } = retryDue(retry, attemptEndedAt(current, outcome), now.getTime());
    const message = `attempt ${retry} (${podName}): ${outcome.failureInfo?.message ?? "failed"}; attempt ${retry + 1} starts at ${new Date(dueMs).toISOString()}, after a ${retryBackoffMs(retry) / 1000} s back-off`;
    const wait = Math.min(waitMs, leftMs ?? Infinity);
    const shown = findCondition(status?.conditions, "Schedulable");
    if (shown?.reason !== retryBackOff || shown.message !== message) {
      const failed = failedAttemptStatus(status, { outcome, retry, attemptTime, podName, poolId, now });
      const next = withCondition(failed, { type: "Schedulable", status: "False", reason: retryBackOff, message, observedGeneration: generation }, now);
      // The status write brings the task back at once; a wait still to run brings it back when over.
      return { action: "record", pod: current, retry, outcome, status: next, readTail: outcome.exitCode !== undefined, max: maxRetries, waitMs: wait, requeueAfterMs: wait > 0 ? wait : undefined };
    }
    if (wait > 0) return { action: "none", requeueAfterMs: wait };
    if (!jobObj || !obs.schedulable) return { action: "none", requeueAfterMs: jobWaitMs };
    const made = attempt(retry + 1);
    if ("invalid" in made) return invalid(made.invalid);
    return { action: "start", pod: made.pod, retry: retry + 1, then: podCreated(status), retrying: { max: maxRetries } };
  }
  if (outcome.kind !== "Ended" && startedMs !== undefined && expired) outcome = { ...wallClockExpired(), startTime: undefined };
  // A Pod stuck on its image, or past its wall clock, goes once the status says so. A back-off
  // the wall clock cut short says no more that an attempt is to come.
  if (outcome.kind === "Ended") {
    const base = backOffOver(status);
    return { action: "complete", pod: current, retry, outcome, readTail: outcome.exitCode !== undefined, deletePods: live, ...(base ? { base } : {}) };
  }
  // The write of Schedulable True after this Pod was applied may not have happened.
  const next = taskStatus(backOffOver(status) ?? status, { outcome, retry, attemptTime, podName, poolId, now });
  return { action: "status", status: next, requeueAfterMs: outcome.kind === "Running" && leftMs !== undefined ? Math.max(100, leftMs) : undefined };
}
