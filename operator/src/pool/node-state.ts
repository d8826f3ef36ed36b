// A node pod as Azure Batch would describe the compute node (pure): its state and start task.
import type { V1ContainerStatus, V1Pod, V1PodCondition } from "@kubernetes/client-node";
import { startTaskInfoSchema, type NodeState, type PoolStatus, type StartTaskInfo } from "../../../api/pool.ts";
import { failureExitCode, resourceFileDownloadFailed } from "../../../api/failure-codes.ts";
import { leavingAnnotation, nodeTypeLabel, reimageRequested, removalRequested, schedulingDisabled, startTaskInfoAnnotation } from "../../../api/labels.ts";

export type NodeInfo = NonNullable<PoolStatus["nodes"]>[number];

/** Tail of a failed container's output as the message of a failure (kept short for status size). */
function tail(text: string | undefined, max = 512): string | undefined {
  if (!text) return undefined;
  const trimmed = text.trim();
  return trimmed.length > max ? `…${trimmed.slice(-max)}` : trimmed;
}

/** The last terminated run of a container: its current state, or the last one while it waits to restart. */
function lastRun(status: V1ContainerStatus | undefined) {
  return status?.state?.terminated ?? (status?.state?.waiting ? status.lastState?.terminated : undefined);
}

/** A start task without waitForSuccess, as the node's agent reports it on its pod (ignored when it is not one). */
function reportedStartTaskInfo(pod: V1Pod): StartTaskInfo | undefined {
  const raw = pod.metadata?.annotations?.[startTaskInfoAnnotation];
  if (!raw) return undefined;
  try {
    const parsed = startTaskInfoSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function startTaskInfo(status: V1ContainerStatus | undefined): StartTaskInfo | undefined {
  if (!status) return undefined;
  const run = lastRun(status);
  if (status.state?.running) {
    return { state: "Running", startTime: toIso(status.state.running.startedAt), retryCount: status.restartCount };
  }
  if (!run) return undefined;
  const failed = run.exitCode !== 0;
  return {
    state: "Completed",
    startTime: toIso(run.startedAt),
    endTime: toIso(run.finishedAt),
    exitCode: run.exitCode,
    retryCount: status.restartCount,
    result: failed ? "Failure" : "Success",
    failureInfo: failed
      ? { category: "UserError", code: failureExitCode, message: `the start task exited with code ${run.exitCode}${run.message ? `: ${tail(run.message)}` : ""}` }
      : undefined,
  };
}

function toIso(d: Date | string | undefined): string | undefined {
  if (d === undefined) return undefined;
  return typeof d === "string" ? d : d.toISOString();
}

export type NodeWork = { runningTasks: number; runningTaskSlots: number; totalTasksRun?: number; totalTasksSucceeded?: number; recentTasks?: Readonly<NonNullable<NodeInfo["recentTasks"]>> };

/** The kubelet's waiting reasons that no retry by itself mends, by the error code a node shows. */
const waitingProblems: Record<string, string> = {
  ErrImagePull: "ImagePullFailed",
  ImagePullBackOff: "ImagePullFailed",
  InvalidImageName: "ImagePullFailed",
  ErrImageNeverPull: "ImagePullFailed",
  CreateContainerConfigError: "ContainerConfigError",
  CreateContainerError: "ContainerConfigError",
  RunContainerError: "ContainerConfigError",
};

/**
 * Restarts after which a main container (agent, tasks) waiting in CrashLoopBackOff is a crash
 * loop, not a one-off (a liveness restart): the node shows ContainerCrashLoop. A start task's
 * retries are its own (StartTaskFailed).
 */
export const crashLoopRestarts = 2;

/** What keeps a node pod's containers from running, each naming its container and image. */
export function nodeErrors(pod: V1Pod): NonNullable<NodeInfo["errors"]> {
  const errors: NonNullable<NodeInfo["errors"]> = [];
  for (const c of pod.status?.containerStatuses ?? []) {
    const waiting = c.state?.waiting;
    if (waiting?.reason !== "CrashLoopBackOff" || c.restartCount < crashLoopRestarts) continue;
    const last = c.lastState?.terminated;
    const exit = last ? `; last exit ${last.exitCode}${last.reason ? ` (${last.reason})` : ""}${last.message ? `: ${last.message.trim()}` : ""}` : "";
    errors.push({ code: "ContainerCrashLoop", message: tail(`container ${c.name}, image ${c.image}: CrashLoopBackOff after ${c.restartCount} restarts${exit}`, 1000)! });
  }
  for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const waiting = c.state?.waiting;
    const code = waiting?.reason ? waitingProblems[waiting.reason] : undefined;
    if (code) errors.push({ code, message: tail(`container ${c.name}, image ${c.image}: ${waiting!.reason}${waiting!.message ? `: ${waiting!.message}` : ""}`, 1000)! });
    const lastEnd = c.state?.terminated ?? c.lastState?.terminated;
    if (lastEnd?.reason === "OOMKilled") errors.push({ code: "OOMKilled", message: `container ${c.name} was killed for exceeding its memory limit (exit ${lastEnd.exitCode}, restarts ${c.restartCount})` });
  }
  return errors.slice(0, 4);
}

export function nodeInfo(pod: V1Pod, work: NodeWork = { runningTasks: 0, runningTaskSlots: 0 }): NodeInfo {
  const init = pod.status?.initContainerStatuses ?? [];
  const fetch = init.find((c) => c.name === "fetch");
  const start = init.find((c) => c.name === "start-task");
  const agent = pod.status?.containerStatuses?.find((c) => c.name === "agent");
  // Where user code runs (absent in node pods made before the two containers).
  const tasks = pod.status?.containerStatuses?.find((c) => c.name === "tasks");
  const info: NodeInfo = {
    name: pod.metadata?.name ?? "",
    state: "Creating",
    isDedicated: pod.metadata?.labels?.[nodeTypeLabel] !== "lowpriority",
    ...(schedulingDisabled(pod.metadata?.annotations) ? { schedulingState: "Disabled" as const } : {}),
    runningTasks: work.runningTasks,
    runningTaskSlots: work.runningTaskSlots,
    totalTasksRun: work.totalTasksRun,
    totalTasksSucceeded: work.totalTasksSucceeded,
    ...(work.recentTasks?.length ? { recentTasks: [...work.recentTasks] } : {}),
    startTaskInfo: startTaskInfo(start) ?? reportedStartTaskInfo(pod),
  };
  info.state = state(pod, fetch, start, [agent, tasks], work);
  const errors = nodeErrors(pod);
  if (errors.length > 0) {
    info.errors = errors;
    // A node whose image cannot be pulled or whose containers cannot be made runs nothing.
    if (errors.some((e) => e.code !== "OOMKilled") && info.state !== "LeavingPool") info.state = "Unusable";
  }
  if (info.state === "StartTaskFailed" && fetch && lastRun(fetch)?.exitCode) {
    const run = lastRun(fetch)!;
    info.startTaskInfo = {
      state: "Completed",
      exitCode: run.exitCode,
      retryCount: fetch.restartCount,
      result: "Failure",
      failureInfo: { category: "UserError", code: resourceFileDownloadFailed, message: tail(run.message) ?? "a resource file could not be downloaded" },
    };
  }
  return info;
}

/**
 * A node pod that ended (evicted, or shut down with its node: phase Failed, or Unknown) stays
 * in the API until it is collected, but no agent runs in it any more.
 */
export function podEnded(pod: V1Pod): boolean {
  return podTerminated(pod) || pod.status?.phase === "Unknown";
}

/** Ended for good (phase Failed or Succeeded: a pod never leaves those), unlike Unknown, which a node that comes back may mend. */
export function podTerminated(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return phase === "Failed" || phase === "Succeeded";
}

function state(pod: V1Pod, fetch: V1ContainerStatus | undefined, start: V1ContainerStatus | undefined, main: Array<V1ContainerStatus | undefined>, work?: NodeWork): NodeState {
  const annotations = pod.metadata?.annotations;
  if (preempted(pod)) return "Preempted";
  if (reimageRequested(annotations) && !removalRequested(annotations)) return "Reimaging";
  if (pod.metadata?.deletionTimestamp || annotations?.[leavingAnnotation] === "true" || removalRequested(annotations)) return "LeavingPool";
  if (podEnded(pod)) return "Unusable";
  if (!pod.spec?.nodeName) return "Creating";
  for (const c of [fetch, start]) {
    const run = lastRun(c);
    if (c && run && run.exitCode !== 0) return "StartTaskFailed";
  }
  if (fetch && !fetch.state?.terminated) return "Starting";
  if (start && !start.state?.terminated) return start.state?.running ? "WaitingForStartTask" : "Starting";
  const [agent] = main;
  const present = main.filter((c): c is V1ContainerStatus => c !== undefined);
  if (agent?.state?.running && present.every((c) => c.state?.running)) {
    const ready = pod.status?.conditions?.find((c) => c.type === "Ready");
    if (ready?.status !== "True") return lostReadiness(ready, agent) ? "Unusable" : "Starting";
    // Azure Batch's offline: scheduling disabled and no task left running there.
    return (work?.runningTasks ?? 0) > 0 ? "Running" : schedulingDisabled(annotations) ? "Offline" : "Idle";
  }
  // A main container that ran and is not running now crashed (and waits to be restarted).
  if (present.some((c) => !c.state?.running && lastRun(c))) return "Unusable";
  return "Starting";
}

/**
 * A low-priority node taken away, as Azure Batch's preempted Spot node: its pod disrupted (the
 * DisruptionTarget condition: preempted by the scheduler, evicted, its node shutting down or
 * tainted away) or ended with its node. Its tasks are requeued when the pod goes, as any lost
 * node's. A dedicated node disrupted so is LeavingPool or Unusable instead.
 */
function preempted(pod: V1Pod): boolean {
  if (pod.metadata?.labels?.[nodeTypeLabel] !== "lowpriority") return false;
  return pod.status?.conditions?.some((c) => c.type === "DisruptionTarget" && c.status === "True") === true || podEnded(pod);
}

/**
 * Whether a pod that is not Ready now was Ready since its agent container started: the agent
 * stopped passing its readiness probe (hung or stopped, or cut off from the API server), and
 * the node is Unusable — as Azure Batch shows a node it cannot use — until the agent answers
 * again or the kubelet restarts it. A pod not Ready since the agent started (a new node, an
 * agent restarted and still syncing) is Starting. Told from the Ready condition's last
 * transition coming after the agent's start (both the kubelet's clock, in whole seconds; the
 * same second reads as Starting).
 */
function lostReadiness(ready: V1PodCondition | undefined, agent: V1ContainerStatus): boolean {
  const lost = toIso(ready?.lastTransitionTime);
  const started = toIso(agent.state?.running?.startedAt);
  return lost !== undefined && started !== undefined && Date.parse(lost) > Date.parse(started);
}

/** Nodes that can take tasks. */
export function isUsable(state: NodeState): boolean {
  return state === "Idle" || state === "Running";
}
