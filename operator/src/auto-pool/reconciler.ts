// The auto-pool controller: keeps the Pool of every job (or work item) with an
// autoPoolSpecification while its lifetime lasts, and deletes it after (auto-pool.ts decides).
// Keyed by the pool (`namespace/pool`), so the jobs of one work item that share a pool never
// race; fed by the jobs, work items and (auto) pools informers.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Outcome } from "../controller/work-queue.ts";
import type { DispatchState } from "../dispatch/dispatch-state.ts";
import type { Writer } from "../../../kube/apply.ts";
import type { EventRecorder } from "../../../kube/events.ts";
import type { Cache } from "../pool/reconciler.ts";
import { autoPoolFieldManager, planAutoPool } from "./auto-pool.ts";
import type { JobObject, WorkItemObject } from "../../../kube/objects.ts";
import { poolIdOf } from "../../../api/pool-id.ts";
import { pendingReleases, releaseReasons } from "./release-wait.ts";

export type AutoPoolReconcilerDeps = {
  jobs: Cache<JobObject>;
  workItems: Cache<WorkItemObject>;
  pools: Cache<KubernetesObject>;
  writer: Writer;
  /** Deletes the Pool (background propagation); a pool already gone is not an error. */
  deletePool: (namespace: string, name: string) => Promise<void>;
  events: EventRecorder;
  /** The scheduler's view: which nodes of the pool exist and where the job's tasks ran. */
  state: DispatchState;
  /** The Events recorded on an object (by its uid) in a namespace: reason and message. */
  listEvents: (namespace: string, uid: string) => Promise<{ reason?: string; message?: string }[]>;
  now?: () => Date;
};

export function makeAutoPoolReconciler(deps: AutoPoolReconcilerDeps): (key: string) => Promise<Outcome> {
  const now = deps.now ?? (() => new Date());
  const told = new Set<string>();

  /** Nodes of the pool still running the release task of a completed job on it, and how long to wait at most. */
  async function releasesOwed(namespace: string, pool: string): Promise<{ nodes: string[]; waitMs: number } | undefined> {
    const poolKey = `${namespace}/${pool}`;
    const live = new Set([...deps.state.nodes.values()].filter((n) => n.poolKey === poolKey).map((n) => n.name));
    let owed: { nodes: string[]; waitMs: number } | undefined;
    for (const job of deps.jobs.list(namespace)) {
      if (job.status?.state !== "Completed" || !job.spec?.jobReleaseTask || poolIdOf(job) !== pool) continue;
      const jobKey = `${namespace}/${job.metadata?.name}`;
      const ranOn = new Set<string>();
      for (const t of deps.state.tasksOfJob(jobKey)) if (t.reportedNode && live.has(t.reportedNode)) ranOn.add(t.reportedNode);
      if (ranOn.size === 0) continue;
      const events = await deps.listEvents(namespace, job.metadata?.uid ?? "");
      const reported = events.filter((e) => (releaseReasons as readonly string[]).includes(e.reason ?? "")).map((e) => e.message ?? "");
      const pending = pendingReleases({ job: { endTime: job.status.executionInfo?.endTime, release: job.spec.jobReleaseTask }, ranOn, reported, now: now() });
      if (pending) owed = { nodes: [...(owed?.nodes ?? []), ...pending.nodes], waitMs: Math.max(owed?.waitMs ?? 0, pending.waitMs) };
    }
    return owed;
  }

  return async function reconcile(key: string): Promise<Outcome> {
    const [namespace, name] = key.split("/") as [string, string];
    const plan = planAutoPool({ namespace, name, jobs: deps.jobs.list(namespace), workItems: deps.workItems.list(namespace), existing: deps.pools.get(name, namespace) });
    switch (plan.action) {
      case "apply":
        await deps.writer.apply(plan.pool, autoPoolFieldManager);
        if (plan.create) deps.events.record(plan.owner, "Normal", "AutoPoolCreated", `created pool ${name}`);
        return;
      case "delete": {
        // Not while its nodes still run the job's release task (bounded by its wall clock).
        const owed = plan.owner.metadata?.deletionTimestamp ? undefined : await releasesOwed(namespace, name);
        if (owed) {
          if (!told.has(key)) deps.events.record(plan.owner, "Normal", "AutoPoolKeptForRelease", `pool ${name} is kept until the job release task ran on ${owed.nodes.join(", ")} (at most ${Math.ceil(owed.waitMs / 1000)} s more)`);
          told.add(key);
          return { requeueAfterMs: Math.min(owed.waitMs, 1_000) };
        }
        told.delete(key);
        await deps.deletePool(namespace, name);
        deps.events.record(plan.owner, "Normal", "AutoPoolDeleted", `deleted pool ${name}: ${plan.reason}`);
        return;
      }
      case "none":
        if (plan.conflict && plan.owner) deps.events.record(plan.owner, "Warning", "AutoPoolConflict", plan.conflict);
        return plan.requeueAfterMs === undefined ? undefined : { requeueAfterMs: plan.requeueAfterMs };
    }
  };
}
