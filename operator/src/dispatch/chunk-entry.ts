// A CollectionChunk as the scheduler sees it: a task-like entry (assigned, requeued and counted
// for slots like a task) whose items are counted in its job's task counts.
import { collectionChunkNames } from "../../../api/collection-chunk.ts";
import { itemJobActionsAppliedAnnotation, nodeLabel } from "../../../api/labels.ts";
import type { CollectionChunkObject } from "../../../kube/objects.ts";
import type { ChunkItems, TaskEntry } from "./dispatch-state.ts";
import { timestampText } from "./task-entry.ts";

/** Chunks and tasks share the scheduler's maps: a chunk's key says its kind, so a Task of the same name never collides. */
export const chunkKey = (namespace: string, name: string) => `${collectionChunkNames.kind}:${namespace}/${name}`;

export function chunkEntry(obj: CollectionChunkObject): TaskEntry {
  const meta = obj.metadata ?? {};
  const namespace = meta.namespace ?? "";
  const status = obj.status;
  const created = meta.creationTimestamp;
  const count = obj.spec?.count ?? 0;
  const owner = meta.ownerReferences?.find((r) => r.controller);
  return {
    key: chunkKey(namespace, meta.name ?? ""),
    namespace,
    name: meta.name ?? "",
    jobKey: `${namespace}/${obj.spec?.jobName ?? ""}`,
    resourceVersion: meta.resourceVersion ?? "",
    created: timestampText(created),
    requiredSlots: obj.spec?.requiredSlots ?? 1,
    node: meta.labels?.[nodeLabel],
    completed: status?.state === "Completed",
    state: status?.state ?? "Active",
    requeueCount: status?.requeueCount ?? 0,
    reportedNode: status?.nodeInfo?.nodeId,
    dependsOn: obj.spec?.dependsOn,
    generation: meta.generation,
    conditions: status?.conditions,
    endTime: status?.endTime,
    ...(status?.preparationFailedNodes?.length ? { prepFailedNodes: status.preparationFailedNodes } : {}),
    chunk: {
      start: obj.spec?.start ?? 0,
      count,
      done: Math.min(count, status?.done ?? 0),
      succeeded: status?.succeeded ?? 0,
      failed: status?.failed ?? 0,
      ...(status?.failures?.length
        ? { failures: status.failures.map((f) => ({ index: f.index, id: f.id, ...(f.exitCode !== undefined ? { exitCode: f.exitCode } : {}), ...(f.failureInfo?.code ? { failureCode: f.failureInfo.code } : {}) })) }
        : {}),
      ...(meta.annotations?.[itemJobActionsAppliedAnnotation] ? { actionsApplied: Number(meta.annotations[itemJobActionsAppliedAnnotation]) || 0 } : {}),
      ...(status?.failuresNotListed ? { failuresNotListed: status.failuresNotListed } : {}),
      collection: `${namespace}/${obj.spec?.collectionName ?? ""}`,
      ...(owner?.uid ? { collectionUid: owner.uid } : {}),
    },
  };
}

/**
 * The items a chunk's report completed since the one before (succeeded and failed), for the
 * completion metrics and the autoscaler's $SucceededTasks/$FailedTasks, which count items as
 * tasks. A requeue keeps the counts, so they only grow; a first sight counts nothing (the
 * initial list replays history).
 */
export function itemsCompleted(before: ChunkItems | undefined, after: ChunkItems): { succeeded: number; failed: number } {
  if (!before) return { succeeded: 0, failed: 0 };
  return { succeeded: Math.max(0, after.succeeded - before.succeeded), failed: Math.max(0, after.failed - before.failed) };
}
