// The scheduler's index (DispatchState), kept current from the shared informers before any
// controller's watches see an event, so the mappings read the state after the change.
import type { V1Pod } from "@kubernetes/client-node";
import { poolIdOf } from "../../../api/pool-id.ts";
import { schedulingDisabled } from "../../../api/labels.ts";
import type { EventKind } from "../../../kube/informer.ts";
import type { ExitConditions } from "../../../api/exit-conditions.ts";
import type { CollectionChunkObject, JobObject, PoolObject, TaskCollectionObject, TaskObject } from "../../../kube/objects.ts";
import { keyOf, type ChunkChange, type JobChange, type TaskChange } from "../controller/watches.ts";
import { chunkEntry } from "./chunk-entry.ts";
import { poolKeyOfLabel } from "../pool/controller.ts";
import { isUsable, nodeInfo, podEnded } from "../pool/node-state.ts";
import type { DispatchState, TaskEntry } from "./dispatch-state.ts";
import { taskEntry, timestampText } from "./task-entry.ts";
import type { TaskValidation } from "./task-validation.ts";
import { jobNameOf } from "../../../api/job-name.ts";

export function indexPool(state: DispatchState, kind: EventKind, obj: PoolObject): void {
  const key = keyOf(obj);
  if (kind === "delete") state.deletePool(key);
  else state.upsertPool({ key, slotsPerNode: obj.spec?.taskSlotsPerNode ?? 1, fill: obj.spec?.taskSchedulingPolicy?.nodeFillType ?? "Spread" });
}

export function indexNodePod(state: DispatchState, kind: EventKind, pod: V1Pod): void {
  const poolKey = poolKeyOfLabel(pod);
  if (!poolKey) return;
  const key = keyOf(pod);
  // An ended pod's tasks are orphans, as if it were gone (the Deployment replaces it).
  if (kind === "delete" || podEnded(pod)) state.deleteNode(key);
  else {
    const info = nodeInfo(pod);
    const disabled = schedulingDisabled(pod.metadata?.annotations);
    state.upsertNode({ key, name: info.name, poolKey, usable: isUsable(info.state) && !disabled, lowPriority: !info.isDedicated || undefined, schedulingDisabled: disabled });
  }
}

export function indexJob(state: DispatchState, kind: EventKind, obj: JobObject): JobChange {
  const key = keyOf(obj);
  const spec = obj.spec ?? {};
  const poolKey = `${obj.metadata?.namespace}/${poolIdOf(obj)}`;
  const wasSchedulable = state.jobs.get(key)?.schedulable;
  if (kind === "delete") state.deleteJob(key);
  else {
    const created = obj.metadata?.creationTimestamp;
    const uid = obj.metadata?.uid;
    // A job created again under the name: the old one's tasks seen before it are not its own.
    if (uid && state.jobs.get(key)?.uid !== uid) for (const t of state.tasksOfJob(key)) if (t.ownerUid !== undefined && t.ownerUid !== uid) state.deleteTask(t.key);
    state.upsertJob({
      key,
      poolKey,
      priority: spec.priority ?? 0,
      maxParallelTasks: spec.maxParallelTasks ?? -1,
      created: timestampText(created),
      // A disabled job starts no tasks, nor one that is ending (terminate, or whatever else
      // ended it: its status says Terminating or Completed). Enabling starts them at once.
      schedulable: !spec.disabled && !spec.terminate && obj.status?.state !== "Terminating" && obj.status?.state !== "Completed",
      usesTaskDependencies: spec.usesTaskDependencies ?? false,
      ...(obj.metadata?.uid ? { uid: obj.metadata.uid } : {}),
    });
  }
  return { obj, key, poolKey, wasSchedulable };
}

export function indexTask(state: DispatchState, kind: EventKind, obj: TaskObject, validation: TaskValidation): TaskChange {
  const entry = taskEntry(obj);
  const before = state.tasks.get(entry.key);
  if (kind === "delete") {
    state.deleteTask(entry.key);
    validation.forget(obj);
  } else if (ofOtherJob(state, entry)) {
    // A task of a deleted job of the same name, until garbage collection takes it: not this job's.
    state.deleteTask(entry.key);
  } else {
    entry.invalid = validation.invalid(obj);
    state.upsertTask(entry);
  }
  return { obj, entry, before };
}

/** Owned by a job other than the one of its jobName the cache holds (deleted, created again since). */
function ofOtherJob(state: DispatchState, entry: TaskEntry): boolean {
  const uid = state.jobs.get(entry.jobKey)?.uid;
  return entry.ownerUid !== undefined && uid !== undefined && entry.ownerUid !== uid;
}

export function indexChunk(state: DispatchState, kind: EventKind, obj: CollectionChunkObject): ChunkChange {
  const entry = chunkEntry(obj);
  const before = state.tasks.get(entry.key);
  if (kind === "delete") state.deleteTask(entry.key);
  else state.upsertTask(entry);
  return { obj, entry, before };
}

/** The key (namespace/name) of the job a collection adds to: spec.jobName, or Azure's jobId. */
export const collectionJobKey = (obj: TaskCollectionObject): string => `${obj.metadata?.namespace}/${jobNameOf(obj.spec) ?? ""}`;

/** A collection's job, its items' id prefix and, once all its chunks exist, how many (status.chunkCount): the job is not all done before they are here. */
export function indexCollection(state: DispatchState, kind: EventKind, obj: TaskCollectionObject): void {
  const key = keyOf(obj);
  if (kind === "delete") return state.deleteCollection(key);
  const spec = obj.spec;
  const chunkCount = obj.status?.chunkCount;
  state.upsertCollection({
    key,
    ...(obj.metadata?.uid ? { uid: obj.metadata.uid } : {}),
    jobKey: collectionJobKey(obj),
    idPrefix: spec?.idPrefix ?? obj.metadata?.name ?? "",
    resourceVersion: obj.metadata?.resourceVersion ?? "",
    ...(obj.metadata?.ownerReferences?.length ? {} : { unowned: true }),
    ...(chunkCount !== undefined ? { chunkCount } : {}),
    ...(spec?.task?.exitConditions ? { exitConditions: spec.task.exitConditions as ExitConditions } : {}),
  });
}
