// The job controller (status, operations, job manager): its reconcile and what it watches.
import { keyOf, type Controller, type Queue } from "../controller/watches.ts";
import { makeJobReconciler, type JobReconcilerDeps } from "./reconciler.ts";
import { collectionJobKey } from "../dispatch/informer-index.ts";

/** Job status follows task changes at most this often. */
const jobStatusDelayMs = 200;
const chunkCountsDelayMs = 5_000;

export function jobController(deps: JobReconcilerDeps & { queue: Queue }): Controller {
  const { queue, state } = deps;
  return {
    name: "job",
    workers: 2,
    reconcile: makeJobReconciler(deps),
    watches: {
      // PoolReady follows the pool.
      pools: (_kind, pool) => {
        const key = keyOf(pool);
        for (const job of state.jobs.values()) if (job.poolKey === key) queue.add(job.key);
      },
      jobs: (kind, { key }) => {
        if (kind !== "delete") queue.add(key);
      },
      tasks: (_kind, { entry }) => queue.addAfter(entry.jobKey, jobStatusDelayMs),
      // A collection listed and cut (status.chunkCount) lets its job count all its items.
      collections: (_kind, c) => queue.add(collectionJobKey(c)),
      // A chunk reports every 2 s while it runs: the job's counts follow at most every 5 s (as the collection's status).
      chunks: (_kind, { entry }) => queue.addAfter(entry.jobKey, chunkCountsDelayMs),
    },
  };
}
