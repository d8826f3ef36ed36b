// Pool.status from what is observed (pure): node pods, the work on them, the previous status;
// and the events a change of status is worth. Counts and conditions cover every node; the
// node list is a bounded page (listed-nodes.ts).
import type { V1Pod } from "@kubernetes/client-node";
import { setCondition, type Condition } from "../../../api/conditions.ts";
import { parseDuration } from "../../../api/duration.ts";
import type { Pool, PoolStatus } from "../../../api/pool.ts";
import { nodeSelectorLabels, selectorString } from "./deployment-names.ts";
import { isUsable, nodeInfo, type NodeInfo, type NodeWork } from "./node-state.ts";
import type { ObjectEvent } from "../../../kube/events.ts";
import { byName, listedNodes } from "./listed-nodes.ts";

export type PoolObservation = {
  pool: Pool;
  pods: readonly V1Pod[];
  work?: ReadonlyMap<string, NodeWork>;
  /** Targets in force (the spec's, or the autoscaler's). */
  targets: { dedicated: number; lowPriority: number };
  now: Date;
};

const countKeys = {
  Creating: "creating",
  Starting: "starting",
  WaitingForStartTask: "waitingForStartTask",
  StartTaskFailed: "startTaskFailed",
  Idle: "idle",
  Running: "running",
  LeavingPool: "leavingPool",
  Unusable: "unusable",
  Offline: "offline",
  Reimaging: "reimaging",
  Preempted: "preempted",
} as const;

/** The larger count; absent when neither is known. */
const atLeast = (now: number | undefined, before: number | undefined): number | undefined => (now === undefined && before === undefined ? undefined : Math.max(now ?? 0, before ?? 0));

export function poolStatus(obs: PoolObservation): PoolStatus {
  const { pool, now, targets } = obs;
  const previous = pool.status ?? {};
  const generation = pool.metadata.generation ?? 0;
  const before = new Map((previous.nodes ?? []).map((n) => [n.name, n]));
  const nodes: NodeInfo[] = obs.pods.map((pod) => {
    const name = pod.metadata?.name ?? "";
    const work = obs.work?.get(name);
    const was = before.get(name);
    // Tasks run and succeeded only grow: a restarted operator counts only what its cache still holds.
    // So do its recent tasks: a restarted operator keeps the listed ones until a task changes there.
    const recentTasks = work?.recentTasks?.length ? work.recentTasks : was?.recentTasks;
    return nodeInfo(pod, work && { ...work, totalTasksRun: atLeast(work.totalTasksRun, was?.totalTasksRun), totalTasksSucceeded: atLeast(work.totalTasksSucceeded, was?.totalTasksSucceeded), recentTasks });
  });
  const counts = { creating: 0, starting: 0, waitingForStartTask: 0, startTaskFailed: 0, idle: 0, running: 0, leavingPool: 0, unusable: 0, offline: 0, reimaging: 0, preempted: 0, total: nodes.length };
  for (const n of nodes) counts[countKeys[n.state]]++;
  const staying = nodes.filter((n) => n.state !== "LeavingPool");
  const currentDedicated = staying.filter((n) => n.isDedicated).length;
  const currentLowPriority = staying.length - currentDedicated;
  const usable = nodes.filter((n) => isUsable(n.state)).length;
  const wanted = targets.dedicated + targets.lowPriority;

  const resizing = currentDedicated !== targets.dedicated || currentLowPriority !== targets.lowPriority || counts.leavingPool > 0;
  const allocationState = resizing ? "Resizing" : "Steady";
  const allocationStateTransitionTime =
    previous.allocationState === allocationState && previous.allocationStateTransitionTime ? previous.allocationStateTransitionTime : now.toISOString();

  let conditions: Condition[] | undefined = previous.conditions;
  const set = (type: string, status: "True" | "False", reason: string, message: string) => {
    conditions = setCondition(conditions, { type, status, reason, message, observedGeneration: generation }, now);
  };
  const notUsable = Object.entries(counts)
    .filter(([k, v]) => v > 0 && k !== "total" && k !== "idle" && k !== "running")
    .map(([k, v]) => `${v} ${k}`)
    .join(", ");
  if (usable >= wanted && !resizing) set("Ready", "True", "NodesUsable", `${usable}/${wanted} nodes usable`);
  else set("Ready", "False", "NodesNotUsable", `${usable}/${wanted} nodes usable${notUsable ? ` (${notUsable})` : ""}`);
  set("Progressing", resizing ? "True" : "False", resizing ? "Resizing" : "Steady", resizing ? `resizing to ${targets.dedicated} dedicated and ${targets.lowPriority} low-priority nodes` : "the pool has its target nodes");

  const failed = nodes.filter((n) => n.state === "StartTaskFailed").sort(byName);
  const broken = nodes.filter((n) => n.state === "Unusable" && n.errors?.some((e) => e.code !== "OOMKilled")).sort(byName);
  const resizeTimeoutMs = parseDuration(pool.spec.resizeTimeout);
  const resizingFor = now.getTime() - Date.parse(allocationStateTransitionTime);
  if (failed.length > 0) {
    const first = failed[0]!;
    set("Degraded", "True", "StartTaskFailed", `start task failed on ${failed.length} node(s); ${first.name}: ${first.startTaskInfo?.failureInfo?.message ?? "failed"}`);
  } else if (broken.length > 0) {
    const first = broken[0]!;
    const reason = first.errors!.some((e) => e.code === "ImagePullFailed") ? "NodeImagePullFailed" : "NodeContainerFailed";
    set("Degraded", "True", reason, `${broken.length} node(s) cannot run; ${first.name}: ${first.errors![0]!.message}`);
  } else if (resizing && resizingFor > resizeTimeoutMs) {
    set("Degraded", "True", "ResizeTimeout", `the resize has not completed within resizeTimeout ${pool.spec.resizeTimeout}: ${usable}/${wanted} nodes usable`);
  } else {
    set("Degraded", "False", "AsExpected", "no node failures");
  }

  const listed = listedNodes(nodes);
  return {
    observedGeneration: generation,
    conditions,
    allocationState,
    allocationStateTransitionTime,
    currentDedicatedNodes: currentDedicated,
    currentLowPriorityNodes: currentLowPriority,
    targetDedicatedNodes: targets.dedicated,
    targetLowPriorityNodes: targets.lowPriority,
    nodeCounts: counts,
    nodes: listed.nodes,
    nodesNotListed: listed.notListed,
    autoScaleRun: previous.autoScaleRun,
    selector: selectorString(nodeSelectorLabels(pool, "dedicated")),
  };
}

/** When the pool's status should be looked at again even if nothing changes (resize timeout). */
export function recheckAfterMs(pool: Pool, status: PoolStatus, now: Date): number | undefined {
  if (status.allocationState !== "Resizing" || !status.allocationStateTransitionTime) return undefined;
  const due = Date.parse(status.allocationStateTransitionTime) + parseDuration(pool.spec.resizeTimeout) - now.getTime();
  return due > 0 ? due + 1_000 : undefined;
}

/** The events a status change is worth: nodes whose start task failed or whose containers broke, a resize ending or timing out. */
export function statusEvents(before: PoolStatus | undefined, after: PoolStatus): ObjectEvent[] {
  const events: ObjectEvent[] = [];
  const was = new Map((before?.nodes ?? []).map((n) => [n.name, n.state]));
  for (const node of after.nodes ?? []) {
    if (node.state === "StartTaskFailed" && was.get(node.name) !== "StartTaskFailed") {
      events.push({ type: "Warning", reason: "StartTaskFailed", message: `node ${node.name}: ${node.startTaskInfo?.failureInfo?.message ?? "start task failed"}` });
    }
  }
  const hadErrors = new Map((before?.nodes ?? []).map((n) => [n.name, new Set((n.errors ?? []).map((e) => e.code))]));
  for (const node of after.nodes ?? []) {
    for (const error of node.errors ?? []) {
      if (!hadErrors.get(node.name)?.has(error.code)) {
        events.push({ type: "Warning", reason: error.code === "ImagePullFailed" ? "NodeImagePullFailed" : error.code === "OOMKilled" ? "NodeOOMKilled" : "NodeContainerFailed", message: `node ${node.name}: ${error.message}` });
      }
    }
  }
  if (before?.allocationState === "Resizing" && after.allocationState === "Steady") {
    events.push({ type: "Normal", reason: "ResizeComplete", message: `the pool has ${after.currentDedicatedNodes} dedicated and ${after.currentLowPriorityNodes} low-priority nodes` });
  }
  const degraded = after.conditions?.find((c) => c.type === "Degraded");
  if (degraded?.status === "True" && degraded.reason === "ResizeTimeout") events.push({ type: "Warning", reason: "ResizeTimeout", message: degraded.message });
  return events;
}
