// Which nodes leave when a pool shrinks, and how many pods the Deployment keeps meanwhile
// (pure). Nodes asked to be removed (kubatch.dev/remove) leave first, then idle and unusable
// ones. Requeue and Terminate remove nodes at once; TaskCompletion and RetainedData keep a
// leaving node until its tasks are done, as a removed node is kept until its were released.
import type { V1Pod } from "@kubernetes/client-node";
import { isUsable, nodeInfo, type NodeWork } from "./node-state.ts";
import { leavingAnnotation, podDeletionCostAnnotation, removalRequested } from "../../../api/labels.ts";

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
