// Auto pools (autoPoolSpecification): a job's or work item's own Pool, kept while its lifetime
// lasts and deleted after. Keyed by the pool, fed by jobs, work items and the auto pools themselves.
import { autoPoolOwnerLabel } from "../../../api/labels.ts";
import { keyOf, type Controller, type Queue } from "../controller/watches.ts";
import { autoPoolKeyOfJob, autoPoolKeyOfWorkItem } from "./auto-pool.ts";
import { makeAutoPoolReconciler, type AutoPoolReconcilerDeps } from "./reconciler.ts";

export function autoPoolController(deps: AutoPoolReconcilerDeps & { queue: Queue }): Controller {
  const add = (key: string | undefined) => void (key && deps.queue.add(key));
  return {
    name: "autopool",
    workers: 1,
    reconcile: makeAutoPoolReconciler(deps),
    watches: {
      jobs: (_kind, { obj }) => add(autoPoolKeyOfJob(obj)),
      workItems: (_kind, workItem) => add(autoPoolKeyOfWorkItem(workItem)),
      pools: (_kind, pool) => add(pool.metadata?.labels?.[autoPoolOwnerLabel] ? keyOf(pool) : undefined),
    },
  };
}
