// `task output` for an item of a task collection (pure, so it is unit-tested): which
// collection an id `<idPrefix>-<i>` belongs to, the chunk holding item i, what that chunk says
// of the item, and the note that goes with its output. Items have no Task object: a chunk
// reports an item only when it fails (its stderr tail), and only counts the others.
import { MAX_CHUNK_FAILURES } from "../api/collection-chunk.ts";
import { collectionItemIndex, type CollectionFailure } from "../api/task-collection.ts";
import type { CollectionChunkObject, TaskCollectionObject } from "../kube/objects.ts";
import { collectionPrefix } from "./collection-rows.ts";
import { taskFilePath } from "./node-files.ts";

/** The collection whose id prefix the id has, and the item's index; undefined when none has. */
export function findCollectionItem(collections: readonly TaskCollectionObject[], id: string): { collection: TaskCollectionObject; index: number } | undefined {
  for (const collection of collections) {
    const index = collectionItemIndex(collectionPrefix(collection), id);
    if (index !== undefined) return { collection, index };
  }
  return undefined;
}

/** The chunk of the collection holding item `index` (start ≤ index < start + count). */
export function chunkOfItem(chunks: readonly CollectionChunkObject[], collection: string, index: number): CollectionChunkObject | undefined {
  return chunks.find((c) => {
    const { collectionName, start = 0, count = 0 } = c.spec ?? {};
    return collectionName === collection && start <= index && index < start + count;
  });
}

export interface ItemStatus {
  state: "Active" | "Running" | "Completed";
  /** Undefined while not completed, and for a completed item its chunk neither lists as failed nor can vouch for (failures not listed). */
  result?: "Success" | "Failure";
  failure?: CollectionFailure;
  node?: string;
}

/** What the chunk says of item `index`: it runs its items in order, start..start+done-1 are done. */
export function itemStatus(chunk: CollectionChunkObject | undefined, index: number): ItemStatus {
  if (!chunk) return { state: "Active" }; // not cut into chunks yet
  const s = chunk.status;
  const failure = s?.failures?.find((f) => f.index === index);
  if (failure) return { state: "Completed", result: "Failure", failure, ...(failure.nodeId ? { node: failure.nodeId } : {}) };
  const next = (chunk.spec?.start ?? 0) + (s?.done ?? 0);
  if (index < next) return s?.failuresNotListed ? { state: "Completed" } : { state: "Completed", result: "Success" };
  const node = s?.nodeInfo?.nodeId;
  if (index === next && s?.state === "Running") return { state: "Running", ...(node ? { node } : {}) };
  return { state: "Active" };
}

/** The line `task output` writes to stderr for a collection item, beside the stderr tail of a failed one. */
export function itemOutputNote(o: { id: string; collection: string; job: string; file: string; status: ItemStatus }): string {
  const { status: st } = o;
  const exit = st.failure?.exitCode === undefined ? "" : `, exit code ${st.failure.exitCode}`;
  const head = `# item ${o.id} of task collection ${o.collection} (${[st.state, st.result].filter(Boolean).join(", ")}${exit})`;
  const where = taskFilePath({ job: o.job, task: o.id, file: o.file, node: st.node });
  const removed = "a succeeded item's working directory is removed from its node";
  if (st.result === "Failure") {
    if (o.file === "stderr.txt") return `${head}: the last KiB of stderr.txt as its chunk reported it; the full file (a failed item's directory is kept): ${where}`;
    return `${head}: a collection item's stdout is not reported (of a failed item only the stderr tail: --stderr); the full file (a failed item's directory is kept): ${where}`;
  }
  if (st.result === "Success") return `${head}: a collection item's output is not reported unless it fails, and ${removed} after it succeeded`;
  if (st.state === "Completed") {
    return `${head}: succeeded, or failed beyond the failures its chunk lists (it keeps the first ${MAX_CHUNK_FAILURES}); no output reported: ${removed}, a failed one's file is ${where}`;
  }
  if (st.state === "Running") return `${head}: a collection item's output is not reported while it runs; the file: ${where}`;
  return `${head}: not run yet, no output`;
}
