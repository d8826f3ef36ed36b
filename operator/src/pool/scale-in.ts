// Which nodes leave when a pool shrinks, and how many pods the Deployment keeps meanwhile
// (pure). Nodes asked to be removed (kubatch.dev/remove) leave first, then idle and unusable
// ones. Requeue and Terminate remove nodes at once; TaskCompletion and RetainedData keep a
// leaving node until its tasks are done, as a removed node is kept until its were released.
import type { V1Pod } from "@kubernetes/client-node";
import { isUsable, nodeInfo, podTerminated, type NodeWork } from "./node-state.ts";
import { leavingAnnotation, nodeTypeLabel, podDeletionCostAnnotation, reimageRequested, removalRequested } from "../../../api/labels.ts";

export type ScaleInPlan = {
  /** Deployment replicas to set now. */
  replicas: number;
  /** Pod name → annotations to patch (null removes). */
  annotate: Map<string, Record<string, string | null>>;
};

export function planScaleIn(pods: readonly V1Pod[], target: number, option: string, workOf: (pod: string) => NodeWork): ScaleInPlan {
  const present = pods.filter((p) => !p.metadata?.deletionTimestamp);
  const annotate = new Map<string, Record<string, string | null>>();
  const name = (p: V1Pod) => p.metadata?.name ?? "";
  const leavingNow = (p: V1Pod) => p.metadata?.annotations?.[leavingAnnotation] === "true";
  const busy = (p: V1Pod) => workOf(name(p)).runningTasks > 0;
  const excess = present.length - target;
  if (excess <= 0) {
    // Growing again (or steady): nodes that were leaving stay.
    for (const p of present) if (leavingNow(p)) annotate.set(name(p), { [leavingAnnotation]: null, [podDeletionCostAnnotation]: null });
    return { replicas: target, annotate };
  }
  // Nodes asked to be removed first, then already-leaving ones, unusable, idle, the least busy; ties by name.
  const removal = (p: V1Pod) => removalRequested(p.metadata?.annotations);
  const rank = (p: V1Pod) => (removal(p) ? -1 : leavingNow(p) ? 0 : !isUsable(nodeInfo(p).state) ? 1 : busy(p) ? 3 : 2);
  const ordered = [...present].sort((a, b) => rank(a) - rank(b) || workOf(name(a)).runningTasks - workOf(name(b)).runningTasks || name(a).localeCompare(name(b)));
  const leaving = ordered.slice(0, excess);
  const staying = ordered.slice(excess);
  for (const p of staying) if (leavingNow(p)) annotate.set(name(p), { [leavingAnnotation]: null, [podDeletionCostAnnotation]: null });
  const drain = option === "TaskCompletion" || option === "RetainedData";
  let keptForTasks = 0;
  for (const p of leaving) {
    // A removed node waits for its tasks whatever its option: the scheduler requeues or ends them
    // first (its removal disables scheduling there), so none is lost to the pod going first.
    const wait = (drain || removal(p) !== undefined) && busy(p);
    if (wait) keptForTasks++;
    // The ReplicaSet removes the lowest deletion cost first: idle leavers, then busy ones.
    const cost = wait ? "0" : "-1000";
    if (!leavingNow(p) || p.metadata?.annotations?.[podDeletionCostAnnotation] !== cost) {
      annotate.set(name(p), { [leavingAnnotation]: "true", [podDeletionCostAnnotation]: cost });
    }
  }
  // Staying nodes must outrank every leaver.
  for (const p of staying) if (p.metadata?.annotations?.[podDeletionCostAnnotation] !== "1000") annotate.set(name(p), { ...annotate.get(name(p)), [podDeletionCostAnnotation]: "1000" });
  return { replicas: target + keptForTasks, annotate };
}

/** How long a node asked to be removed may stay idle with no excess before it is deleted anyway. */
export const removalGraceMs = 10_000;

export type NodeRequests = {
  /** Node pods to delete now: idle, asked to be removed or reimaged. */
  remove: { pod: V1Pod; why: "removed" | "reimaged" }[];
  /** Removal pods idle with no excess, by uid: since when (kept by the caller for the next pass). */
  idleSince: Map<string, number>;
  /** When to look again for a removal still in its grace, if any. */
  recheckMs?: number;
};

/**
 * Azure Batch "reimage" and "remove nodes" (pure): once its tasks were released (the request
 * disabled scheduling there), a node pod goes — deleted by the operator, not left to the
 * ReplicaSet, which takes a Pending or unready pod first. A reimaged node's Deployment makes a
 * fresh one. A removal waits for its lowered target (the CLI lowers it right after the
 * annotation): gone before, it would be replaced and the replacement removed again. Still
 * there removalGraceMs later with no excess, the ReplicaSet took another pod for it: it goes
 * anyway, and is replaced.
 */
export function planNodeRequests(pods: readonly V1Pod[], targets: { dedicated: number; lowPriority: number }, workOf: (pod: string) => NodeWork, idleBefore: ReadonlyMap<string, number>, nowMs: number): NodeRequests {
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp && !podTerminated(p));
  const lowPriority = (p: V1Pod) => p.metadata?.labels?.[nodeTypeLabel] === "lowpriority";
  const excess = { dedicated: live.filter((p) => !lowPriority(p)).length > targets.dedicated, lowPriority: live.filter(lowPriority).length > targets.lowPriority };
  const out: NodeRequests = { remove: [], idleSince: new Map() };
  for (const pod of live) {
    const annotations = pod.metadata?.annotations;
    const removal = removalRequested(annotations) !== undefined;
    if (!removal && !reimageRequested(annotations)) continue;
    const uid = pod.metadata?.uid ?? "";
    if (workOf(pod.metadata?.name ?? "").runningTasks > 0) {
      if (idleBefore.has(uid)) out.idleSince.set(uid, idleBefore.get(uid)!);
      continue;
    }
    if (removal && !(lowPriority(pod) ? excess.lowPriority : excess.dedicated)) {
      const since = idleBefore.get(uid) ?? nowMs;
      if (nowMs - since < removalGraceMs) {
        out.idleSince.set(uid, since);
        out.recheckMs = Math.min(out.recheckMs ?? removalGraceMs, removalGraceMs - (nowMs - since));
        continue;
      }
    }
    out.remove.push({ pod, why: removal ? "removed" : "reimaged" });
  }
  return out;
}
