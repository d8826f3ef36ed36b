// The work item controller (job schedules): its reconcile and what it watches.
import { workItemLabel } from "../../../api/labels.ts";
import { keyOf, type Controller, type Queue } from "../controller/watches.ts";
import { makeWorkItemReconciler, type WorkItemReconcilerDeps } from "./reconciler.ts";

export function workItemController(deps: WorkItemReconcilerDeps & { queue: Queue }): Controller {
  const { queue } = deps;
  return {
    name: "workitem",
    workers: 1,
    reconcile: makeWorkItemReconciler(deps),
    watches: {
      workItems: (_kind, workItem) => queue.add(keyOf(workItem)),
      // A job it created changed (its state decides the next run).
      jobs: (_kind, { obj }) => {
        const owner = obj.metadata?.labels?.[workItemLabel];
        if (owner) queue.add(`${obj.metadata?.namespace}/${owner}`);
      },
    },
  };
}
