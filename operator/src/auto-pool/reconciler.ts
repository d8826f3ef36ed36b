// The auto-pool controller: keeps the Pool of every job (or work item) with an
// autoPoolSpecification while its lifetime lasts, and deletes it after (auto-pool.ts decides).
// Keyed by the pool (`namespace/pool`), so the jobs of one work item that share a pool never
// race; fed by the jobs, work items and (auto) pools informers.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Outcome } from "../controller/work-queue.ts";
import type { Writer } from "../kube/apply.ts";
import type { EventRecorder } from "../kube/events.ts";
import type { Cache } from "../pool/reconciler.ts";
import { autoPoolFieldManager, planAutoPool, type OwnerObject } from "./auto-pool.ts";

export type AutoPoolReconcilerDeps = {
  jobs: Cache<OwnerObject>;
  workItems: Cache<OwnerObject>;
  pools: Cache<KubernetesObject>;
  writer: Writer;
  /** Deletes the Pool (background propagation); a pool already gone is not an error. */
  deletePool: (namespace: string, name: string) => Promise<void>;
  events: EventRecorder;
};

export function makeAutoPoolReconciler(deps: AutoPoolReconcilerDeps): (key: string) => Promise<Outcome> {
  return async function reconcile(key: string): Promise<Outcome> {
    const [namespace, name] = key.split("/") as [string, string];
    const plan = planAutoPool({ namespace, name, jobs: deps.jobs.list(namespace), workItems: deps.workItems.list(namespace), existing: deps.pools.get(name, namespace) });
    switch (plan.action) {
      case "apply":
        await deps.writer.apply(plan.pool, autoPoolFieldManager);
        if (plan.create) deps.events.record(plan.owner, "Normal", "AutoPoolCreated", `created pool ${name}`);
        return;
      case "delete":
        await deps.deletePool(namespace, name);
        deps.events.record(plan.owner, "Normal", "AutoPoolDeleted", `deleted pool ${name}: ${plan.reason}`);
        return;
      case "none":
        if (plan.conflict && plan.owner) deps.events.record(plan.owner, "Warning", "AutoPoolConflict", plan.conflict);
        return plan.requeueAfterMs === undefined ? undefined : { requeueAfterMs: plan.requeueAfterMs };
    }
  };
}
