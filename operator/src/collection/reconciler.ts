// The TaskCollection reconciler: cuts the collection into chunks (created once, owned by it)
// and sums their status into the collection's. The chunks themselves are scheduled like
// tasks (dispatch/) and run by the node agents, which report on them in batches; this writes
// the collection's status at most once per statusIntervalMs while it runs (and at once when
// its state changes), so the writes per item stay far below one.
import { GROUP, VERSION } from "../../../api/group.ts";
import { chunkCount } from "../../../api/collection-chunk.ts";
import { formatProblems } from "../../../api/parse.ts";
import { collectionItemCount } from "../../../api/task-collection-items.ts";
import { parseTaskCollection, taskCollectionNames, type TaskCollectionStatus } from "../../../api/task-collection.ts";
import { setCondition } from "../../../api/conditions.ts";
import type { Writer } from "../../../kube/apply.ts";
import { forEachBounded } from "../../../kube/bounded.ts";
import type { EventRecorder } from "../../../kube/events.ts";
import type { CollectionChunkObject, TaskCollectionObject } from "../../../kube/objects.ts";
import { reportInvalidSpec } from "../controller/invalid-spec.ts";
import type { Outcome } from "../controller/work-queue.ts";
import type { Cache } from "../pool/reconciler.ts";
import { chunkObjects } from "./chunk-objects.ts";
import { collectionStatus } from "./collection-status.ts";

export type CollectionReconcilerDeps = {
  collections: Cache<TaskCollectionObject>;
  /** The chunks of collection `name` in `namespace`, as cached. */
  chunksOf: (namespace: string, name: string) => readonly CollectionChunkObject[];
  writer: Writer;
  events: EventRecorder;
  log: (line: string) => void;
  now?: () => Date;
  statusIntervalMs?: number;
};

/** Chunk creations in flight at once. */
const concurrency = 16;
const defaultStatusIntervalMs = 5_000;

export function makeCollectionReconciler(deps: CollectionReconcilerDeps): (key: string) => Promise<Outcome> {
  const now = deps.now ?? (() => new Date());
  const interval = deps.statusIntervalMs ?? defaultStatusIntervalMs;
  /** When each collection's status was last written (ms), for the interval. */
  const lastWrite = new Map<string, number>();

  return async function reconcile(key: string): Promise<Outcome> {
    const [namespace = "", name = ""] = key.split("/");
    const obj = deps.collections.get(name, namespace);
    if (!obj) {
      lastWrite.delete(key);
      return;
    }
    if (obj.metadata?.deletionTimestamp) return;
    const ref = { group: GROUP, version: VERSION, plural: taskCollectionNames.plural, namespace, name };
    const parsed = parseTaskCollection(obj);
    if (!parsed.ok) return reportInvalidSpec(deps, obj, ref, "Ready", formatProblems(parsed.problems), now());
    const collection = parsed.value;
    const generation = obj.metadata?.generation ?? 0;
    const itemCount = collectionItemCount(collection.spec.source);
    if (itemCount === undefined) {
      // Listing a blob container into items is the next step of issue 16.
      const conditions = setCondition(obj.status?.conditions, { type: "Ready", status: "False", reason: "BlobSourceNotSupported", message: "source.blobs: the operator does not list blob containers into items yet; use source.range or source.items", observedGeneration: generation }, now());
      await deps.writer.patchStatus(ref, obj.status, { ...obj.status, observedGeneration: generation, conditions });
      return;
    }
    const chunks = deps.chunksOf(namespace, name);
    const wanted = chunkCount(itemCount);
    // Every chunk report comes here: the chunk objects are built only while some are missing.
    if (chunks.length < wanted) {
      const have = new Set(chunks.map((c) => c.metadata?.name));
      const missing = chunkObjects(collection, itemCount).filter((c) => !have.has(c.metadata?.name));
      await forEachBounded(missing, concurrency, (c) => deps.writer.apply(c).then(() => undefined));
      deps.log(`collection ${key}: ${missing.length} chunk(s) created for ${itemCount} items`);
    }
    const summed = collectionStatus(itemCount, chunks);
    const conditions = setCondition(obj.status?.conditions, { type: "Ready", status: "True", reason: "Chunked", message: `${itemCount} items in ${wanted} chunks`, observedGeneration: generation }, now());
    const status: TaskCollectionStatus = { ...obj.status, ...summed, observedGeneration: generation, conditions };
    // Counts move with every chunk report: written at most once per interval, a state change at once.
    const at = now().getTime();
    const since = at - (lastWrite.get(key) ?? -Infinity);
    if (summed.state === obj.status?.state && since < interval) return { requeueAfterMs: interval - since };
    if (await deps.writer.patchStatus(ref, obj.status, status)) lastWrite.set(key, at);
    return;
  };
}
