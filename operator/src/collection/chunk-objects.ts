// The chunks a collection is cut into (pure): consecutive runs of its items (chunkRanges, or a
// blob listing's cut, blob-listing.ts), each
// owned by the collection (deleted with it), carrying what the scheduler needs without reading
// the collection: the job, the slots each item takes and the collection's dependencies.
import { API_VERSION } from "../../../api/group.ts";
import { chunkName, chunkRanges, collectionChunkNames, type CollectionChunkSpecInput } from "../../../api/collection-chunk.ts";
import type { TaskCollection } from "../../../api/task-collection.ts";
import { controllerRef } from "../../../kube/apply.ts";
import type { CollectionChunkObject } from "../../../kube/objects.ts";

export function chunkObjects(collection: TaskCollection, itemCount: number): CollectionChunkObject[] {
  return chunkRanges(itemCount).map(({ start, count }, n) => chunkObject(collection, n, start, count));
}

/** Chunk `n` of the collection: items start..start+count-1 (`items`: a blob source's names of them). */
export function chunkObject(collection: TaskCollection, n: number, start: number, count: number, items?: string[]): CollectionChunkObject {
  const { metadata, spec } = collection;
  const chunkSpec: CollectionChunkSpecInput = { collectionName: metadata.name, jobName: spec.jobName, start, count, requiredSlots: spec.task.requiredSlots };
  if (spec.dependsOn) chunkSpec.dependsOn = spec.dependsOn;
  if (items) chunkSpec.items = items;
  return {
    apiVersion: API_VERSION,
    kind: collectionChunkNames.kind,
    metadata: { name: chunkName(metadata.name, n), namespace: metadata.namespace, ownerReferences: [controllerRef(collection as Parameters<typeof controllerRef>[0])] },
    spec: chunkSpec,
  };
}

/**
 * What the operator's cache keeps of a chunk: all but a blob source's names (up to 128 KiB a
 * chunk, ~100 MiB for a million blobs), which only the agent running it reads.
 */
export function chunkProjection(obj: CollectionChunkObject): CollectionChunkObject {
  if (obj.spec?.items === undefined) return obj;
  const { items: _names, ...spec } = obj.spec;
  return { ...obj, spec };
}
