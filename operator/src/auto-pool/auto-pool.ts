// Auto pools (Azure Batch autoPoolSpecification), pure: which pool a job or work item needs,
// the desired Pool object, and what to do about it now (apply, delete, or nothing).
//
// Lifetimes, as in Azure Batch:
// - poolLifetimeOption Job: a pool per job, `<prefix>-<job>`, owned by the Job; deleted when
//   the job completes.
// - poolLifetimeOption JobSchedule (on a work item's jobSpecification): one pool for all the
//   work item's jobs, `<prefix>-<workitem>`, owned by the WorkItem; created with its first job,
//   kept between jobs, deleted when the work item completes.
// - keepAlive: the pool is never deleted by the operator and has no owner reference (so
//   deleting the job or work item leaves it too); its labels still say whose it was.
// A controller owner reference lets Kubernetes' garbage collector remove the pool when its
// owner is deleted; the pool's own finalizer then drains its nodes.
import { createHash } from "node:crypto";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { z } from "zod";
import type { autoPoolSpecificationSchema } from "../../../api/job.ts";
import { API_VERSION } from "../../../api/group.ts";
import { poolNames } from "../../../api/pool.ts";
import { controllerRef } from "../../../kube/apply.ts";
import { autoPoolHashAnnotation, autoPoolOwnerKindLabel, autoPoolOwnerLabel, workItemLabel } from "../../../api/labels.ts";
import { autoPoolName, poolIdOf } from "../../../api/pool-id.ts";
import type { JobObject, WorkItemObject } from "../../../kube/objects.ts";

/**
 * The field manager of the auto pool's fields. Not the operator's main one: the pool
 * reconciler applies the Pool's finalizer alone under that one, and an apply drops the fields
 * its manager owned but left out (the whole spec).
 */
export const autoPoolFieldManager = "kubatch-operator-auto-pool";

/** As written by the user (defaults not applied: the informer caches hold unparsed objects). */
export type AutoPoolSpec = z.input<typeof autoPoolSpecificationSchema>;

/** A Job or WorkItem as the informer caches hold it. */
export type OwnerObject = JobObject | WorkItemObject;

type PoolInfoHolder = { poolInfo?: { autoPoolSpecification?: AutoPoolSpec } } | undefined;

/** The autoPoolSpecification of a job's spec, if it has one. */
export function autoPoolSpecOf(jobSpec: unknown): AutoPoolSpec | undefined {
  return (jobSpec as PoolInfoHolder)?.poolInfo?.autoPoolSpecification;
}

const lifetimeOf = (spec: AutoPoolSpec) => spec.poolLifetimeOption ?? "Job";

/** `namespace/pool` of a job's auto pool; undefined for a job on an existing pool. */
export function autoPoolKeyOfJob(job: JobObject): string | undefined {
  if (!autoPoolSpecOf(job.spec)) return undefined;
  const name = poolIdOf(job);
  return name ? `${job.metadata?.namespace}/${name}` : undefined;
}

/** `namespace/pool` of a work item's shared auto pool (JobSchedule lifetime); else undefined. */
export function autoPoolKeyOfWorkItem(workItem: WorkItemObject): string | undefined {
  const spec = autoPoolSpecOf(workItem.spec?.jobSpecification);
  if (!spec || lifetimeOf(spec) !== "JobSchedule") return undefined;
  return `${workItem.metadata?.namespace}/${autoPoolName(spec.autoPoolIdPrefix, workItem.metadata?.name ?? "")}`;
}

/** The Pool an owner's autoPoolSpecification asks for. */
export function desiredAutoPool(name: string, owner: OwnerObject, spec: AutoPoolSpec): KubernetesObject {
  const metadata = {
    name,
    namespace: owner.metadata?.namespace,
    labels: { [autoPoolOwnerKindLabel]: owner.kind, [autoPoolOwnerLabel]: owner.metadata?.name ?? "" },
    annotations: {} as Record<string, string>,
    ...(spec.keepAlive ? {} : { ownerReferences: [controllerRef(owner)] }),
  };
  const pool = { apiVersion: API_VERSION, kind: poolNames.kind, metadata, spec: spec.pool ?? {} };
  metadata.annotations[autoPoolHashAnnotation] = createHash("sha256").update(JSON.stringify(pool)).digest("hex").slice(0, 16);
  return pool;
}

export type AutoPoolObservation = {
  namespace: string;
  /** The pool's name (the queue key's name). */
  name: string;
  /** Jobs and work items of the namespace, from the caches. */
  jobs: readonly JobObject[];
  workItems: readonly WorkItemObject[];
  /** The Pool of that name, if one exists. */
  existing?: KubernetesObject;
};

export type AutoPoolPlan =
  | { action: "apply"; owner: OwnerObject; pool: KubernetesObject; create: boolean }
  | { action: "delete"; owner: OwnerObject; reason: string }
  | { action: "none"; owner?: OwnerObject; conflict?: string; requeueAfterMs?: number };

const ended = (o: OwnerObject) => o.metadata?.deletionTimestamp !== undefined || o.status?.state === "Completed";

/** Whose auto pool `name` is, and whether that pool should exist now. */
export function planAutoPool(obs: AutoPoolObservation): AutoPoolPlan {
  const { name } = obs;
  let owner: OwnerObject | undefined;
  let spec: AutoPoolSpec | undefined;
  let wanted = false;
  const workItem = obs.workItems.find((wi) => autoPoolKeyOfWorkItem(wi) === `${obs.namespace}/${name}`);
  if (workItem) {
    owner = workItem;
    spec = autoPoolSpecOf((workItem.spec as { jobSpecification?: unknown }).jobSpecification);
    // Created with the work item's first job (as Azure Batch does), kept between its jobs.
    wanted = obs.jobs.some((j) => j.metadata?.labels?.[workItemLabel] === workItem.metadata?.name);
  } else {
    // A job whose pool is its own: lifetime Job, or JobSchedule on a job no work item created.
    // A job of a work item under JobSchedule whose work item is gone has no owner here: the
    // garbage collector removes that pool with the work item.
    owner = obs.jobs.find((j) => {
      const s = autoPoolSpecOf(j.spec);
      if (!s || autoPoolKeyOfJob(j) !== `${obs.namespace}/${name}`) return false;
      return lifetimeOf(s) === "Job" || !j.metadata?.labels?.[workItemLabel];
    });
    spec = owner && autoPoolSpecOf(owner.spec);
    wanted = true;
  }
  if (!owner || !spec) return { action: "none" };

  const existing = obs.existing;
  const labels = existing?.metadata?.labels ?? {};
  if (existing && (labels[autoPoolOwnerKindLabel] !== owner.kind || labels[autoPoolOwnerLabel] !== owner.metadata?.name)) {
    return { action: "none", owner, conflict: `pool ${name} exists and is not the auto pool of ${owner.kind} ${owner.metadata?.name}; its tasks will run there` };
  }
  if (ended(owner)) {
    if (spec.keepAlive || !existing || existing.metadata?.deletionTimestamp) return { action: "none", owner };
    const why = owner.metadata?.deletionTimestamp ? "is being deleted" : "completed";
    return { action: "delete", owner, reason: `${owner.kind} ${owner.metadata?.name} ${why}` };
  }
  if (!wanted) return { action: "none", owner };
  // The pool of an earlier owner of the same name is still draining its nodes: wait for it.
  if (existing?.metadata?.deletionTimestamp) return { action: "none", owner, requeueAfterMs: 2_000 };
  const pool = desiredAutoPool(name, owner, spec);
  if (existing?.metadata?.annotations?.[autoPoolHashAnnotation] === pool.metadata?.annotations?.[autoPoolHashAnnotation]) return { action: "none", owner };
  return { action: "apply", owner, pool, create: !existing };
}
