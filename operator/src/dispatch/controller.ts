// The scheduler: one dispatch per pool at a time (the queue key is the pool), run whenever its
// nodes, its jobs or its unassigned tasks change.
import type { EventKind } from "../../../kube/informer.ts";
import { keyOf, type Controller, type Queue } from "../controller/watches.ts";
import { givenBack, type TaskEntry } from "./dispatch-state.ts";
import { poolKeyOfLabel } from "../pool/controller.ts";
import { makeDispatcher, type DispatcherDeps } from "./dispatcher.ts";
import { collectionJobKey } from "./informer-index.ts";

export function dispatchController(deps: DispatcherDeps & { queue: Queue }): Controller {
  const { queue, state } = deps;
  // A task (or chunk) waiting, finished, given back or gone frees or needs a slot; an assignment alone changes nothing to plan.
  const slotsChanged = (kind: EventKind, { entry }: { entry: TaskEntry }) => {
    const poolKey = state.jobs.get(entry.jobKey)?.poolKey;
    if (poolKey && (!entry.node || entry.completed || givenBack(entry) || entry.terminateReason !== undefined || kind === "delete")) queue.add(poolKey);
  };
  return {
    name: "dispatch",
    workers: 4,
    reconcile: makeDispatcher(deps),
    watches: {
      pools: (_kind, pool) => queue.add(keyOf(pool)),
      nodePods: (_kind, pod) => {
        const poolKey = poolKeyOfLabel(pod);
        if (poolKey) queue.add(poolKey);
      },
      jobs: (_kind, { poolKey }) => queue.add(poolKey),
      tasks: slotsChanged,
      // A collection's chunks are scheduled like tasks; in a job with dependencies, items done
      // may let a task that depends on them run.
      // The collection's chunkCount arriving (after its last chunk finished) is what lets a task
      // that depends on the whole collection run; its status is written at most every few seconds.
      collections: (_kind, collection) => {
        const job = state.jobs.get(collectionJobKey(collection));
        if (job?.usesTaskDependencies) queue.add(job.poolKey);
      },
      chunks: (kind, change) => {
        slotsChanged(kind, change);
        const job = state.jobs.get(change.entry.jobKey);
        if (job?.usesTaskDependencies && change.before?.chunk?.done !== change.entry.chunk?.done) queue.add(job.poolKey);
      },
    },
  };
}
