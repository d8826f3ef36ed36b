// The TaskCollection reconciler: cuts the collection into chunks (created once, owned by it)
// and sums their status into the collection's. The chunks themselves are scheduled like
// tasks (dispatch/) and run by the node agents, which report on them in batches; this writes
// the collection's status at most once per statusIntervalMs while it runs (and at once when
// its state changes), so the writes per item stay far below one.
import { GROUP, VERSION } from "../../../api/group.ts";
import { chunkCount } from "../../../api/collection-chunk.ts";
import { formatProblems } from "../../../api/parse.ts";
import { collectionItemCount } from "../../../api/task-collection-items.ts";
import { parseTaskCollection, taskCollectionNames, type TaskCollection, type TaskCollectionStatus } from "../../../api/task-collection.ts";
import { setCondition, type Condition } from "../../../api/conditions.ts";
import type { StatusRef, Writer } from "../../../kube/apply.ts";
import { errorMessage } from "../../../kube/errors.ts";
import { forEachBounded } from "../../../kube/bounded.ts";
import type { EventRecorder } from "../../../kube/events.ts";
import type { CollectionChunkObject, TaskCollectionObject } from "../../../kube/objects.ts";
import { reportInvalidSpec } from "../controller/invalid-spec.ts";
import type { Outcome } from "../controller/work-queue.ts";
import type { Cache } from "../pool/reconciler.ts";
import { cutListing, TooManyBlobs } from "./blob-listing.ts";
import { ListingFailed, type BlobLister } from "./blob-source.ts";
import { chunkObject, chunkObjects } from "./chunk-objects.ts";
import { collectionStatus } from "./collection-status.ts";

export type CollectionReconcilerDeps = {
  collections: Cache<TaskCollectionObject>;
  /** Lists a blob source's names (blob-source.ts). */
  listBlobs: BlobLister;
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
/** Listed chunks applied together (each batch `concurrency` at a time). */
const listedBatch = 64;

/** How many items a collection holds, and how many chunks they are cut into. */
type Cut = { itemCount: number; chunkCount: number };

/** The collection's conditions with Ready set so. */
type Ready = (status: "True" | "False", reason: string, message: string) => Condition[];

/** The container's names no longer cut as the chunks there already (a listing again after a crash, the blobs changed since). */
class SourceChanged extends Error {}

/**
 * A chunk there already is kept when it covers the same items: the cache holds no names
 * (chunkProjection), and the first listing's names are the ones that run.
 */
const sameChunk = (a: CollectionChunkObject["spec"], b: CollectionChunkObject["spec"]) => a?.start === b?.start && a?.count === b?.count;
const defaultStatusIntervalMs = 5_000;

export function makeCollectionReconciler(deps: CollectionReconcilerDeps): (key: string, signal?: AbortSignal) => Promise<Outcome> {
  const now = deps.now ?? (() => new Date());
  const interval = deps.statusIntervalMs ?? defaultStatusIntervalMs;
  /** When each collection's status was last written (ms), for the interval. */
  const lastWrite = new Map<string, number>();
  /** Blob sources listed by this process, until their status (itemCount, chunkCount) is in the cache. */
  const listed = new Map<string, { uid: string; cut: Cut }>();
  /** When a listed collection was first seen with chunks missing (ms). */
  const missingSince = new Map<string, number>();

  /**
   * Lists the collection's blobs into chunks — each applied unless cached as it is, so a
   * listing again after a crash writes only the chunks it had not — with progress on the
   * Ready condition at most every interval. The cut, or the outcome of a listing that failed
   * for good (Ready False says why; a failure that may pass is thrown: retried with back-off).
   */
  async function listBlobs(collection: TaskCollection, obj: TaskCollectionObject, cached: readonly CollectionChunkObject[], ref: StatusRef, ready: Ready, signal?: AbortSignal): Promise<Cut | { outcome: Outcome }> {
    const key = `${ref.namespace}/${ref.name}`;
    const byName = new Map(cached.map((c) => [c.metadata?.name, c]));
    const source = collection.spec.source.blobs!;
    const cut: Cut = { itemCount: 0, chunkCount: 0 };
    let batch: CollectionChunkObject[] = [];
    let created = 0;
    let reported = now().getTime();
    const made = new Set<string | undefined>();
    const flush = async () => {
      // The lease lost mid-listing: the next holder lists; nothing more is written here.
      signal?.throwIfAborted();
      await forEachBounded(batch, concurrency, (c) => deps.writer.apply(c).then(() => undefined));
      created += batch.length;
      batch = [];
    };
    try {
      for await (const { n, start, items } of cutListing(deps.listBlobs(ref.namespace, source, signal))) {
        const chunk = chunkObject(collection, n, start, items.length, items);
        const have = byName.get(chunk.metadata?.name);
        if (have && !sameChunk(have.spec, chunk.spec)) {
          throw new SourceChanged(`the blobs changed since they were listed into chunks: chunk ${chunk.metadata?.name} holds items ${have.spec?.start}..${(have.spec?.start ?? 0) + (have.spec?.count ?? 0) - 1}, the container's names now cut it as ${chunk.spec?.start}..${(chunk.spec?.start ?? 0) + (chunk.spec?.count ?? 0) - 1}; delete the collection and create it again`);
        }
        made.add(chunk.metadata?.name);
        if (!have) batch.push(chunk);
        if (batch.length >= listedBatch) await flush();
        cut.itemCount += items.length;
        cut.chunkCount++;
        if (now().getTime() - reported >= interval) {
          reported = now().getTime();
          const message = `listing the blobs: ${cut.itemCount} so far, in ${cut.chunkCount} chunks`;
          deps.log(`collection ${key}: ${message}`);
          await deps.writer.patchStatus(ref, obj.status, { ...obj.status, observedGeneration: obj.metadata?.generation ?? 0, conditions: ready("False", "Listing", message) });
        }
      }
      await flush();
      const extra = cached.filter((c) => !made.has(c.metadata?.name));
      if (extra.length > 0) throw new SourceChanged(`the blobs changed since they were listed into chunks: the container's names now make ${cut.chunkCount} chunks, ${extra.length} more are here (${extra[0]!.metadata?.name}${extra.length > 1 ? ", …" : ""}); delete the collection and create it again`);
    } catch (err) {
      if (signal?.aborted) throw err;
      const reason = err instanceof ListingFailed ? err.reason : err instanceof TooManyBlobs ? "TooManyBlobs" : err instanceof SourceChanged ? "SourceChanged" : undefined;
      if (!reason) throw err;
      const message = `source.blobs: ${errorMessage(err)}`;
      await deps.writer.patchStatus(ref, obj.status, { ...obj.status, observedGeneration: obj.metadata?.generation ?? 0, conditions: ready("False", reason, message) });
      deps.events.record(obj, "Warning", reason, message);
      // Credentials and the service may come right; a container too big or changed will not.
      if (err instanceof ListingFailed) throw err;
      return { outcome: undefined };
    }
    deps.log(`collection ${key}: ${cut.itemCount} blobs listed into ${cut.chunkCount} chunks (${created} created)`);
    return cut;
  }

  return async function reconcile(key: string, signal?: AbortSignal): Promise<Outcome> {
    const [namespace = "", name = ""] = key.split("/");
    const obj = deps.collections.get(name, namespace);
    if (!obj) {
      lastWrite.delete(key);
      listed.delete(key);
      missingSince.delete(key);
      return;
    }
    if (obj.metadata?.deletionTimestamp) return;
    const ref = { group: GROUP, version: VERSION, plural: taskCollectionNames.plural, namespace, name };
    const parsed = parseTaskCollection(obj);
    if (!parsed.ok) return reportInvalidSpec(deps, obj, ref, "Ready", formatProblems(parsed.problems), now());
    const collection = parsed.value;
    const generation = obj.metadata?.generation ?? 0;
    const ready: Ready = (status, reason, message) => setCondition(obj.status?.conditions, { type: "Ready", status, reason, message, observedGeneration: generation }, now());
    const uid = obj.metadata?.uid ?? "";
    const all = deps.chunksOf(namespace, name);
    const owned = (c: CollectionChunkObject) => c.metadata?.ownerReferences?.some((r) => r.uid === uid) ?? false;
    const chunks = all.filter(owned);
    const foreign = all.filter((c) => !owned(c));
    // A collection deleted and created again under the same name: its predecessor's chunks
    // (same names, their items' status) go first — the garbage collector deletes them, each deletion brings this back.
    if (foreign.length > 0) {
      deps.log(`collection ${key}: waiting for ${foreign.length} chunk(s) of a deleted collection of the same name to be collected`);
      return { requeueAfterMs: interval };
    }
    let cut: Cut;
    if (collection.spec.source.blobs) {
      const known = listed.get(key);
      const recorded = obj.status?.itemCount !== undefined && obj.status.chunkCount !== undefined ? { itemCount: obj.status.itemCount, chunkCount: obj.status.chunkCount } : undefined;
      const done = recorded ?? (known?.uid === uid ? known.cut : undefined);
      if (recorded) listed.delete(key);
      // A recorded cut with chunks missing: one was deleted (listed again for its names, the rest
      // kept), or the cache has not caught up with those just created — given an interval first.
      const missing = done !== undefined && chunks.length < done.chunkCount;
      if (!missing) missingSince.delete(key);
      else if (!missingSince.has(key)) missingSince.set(key, now().getTime());
      const relist = missing && now().getTime() - missingSince.get(key)! >= interval;
      if (missing && !relist) return { requeueAfterMs: interval };
      if (done && !relist) cut = done;
      else {
        if (relist) deps.log(`collection ${key}: ${done!.chunkCount - chunks.length} of its ${done!.chunkCount} chunks missing: listing the blobs again`);
        const outcome = await listBlobs(collection, obj, chunks, ref, ready, signal);
        if (!("itemCount" in outcome)) return outcome.outcome;
        cut = outcome;
        missingSince.delete(key);
        listed.set(key, { uid, cut });
      }
    } else {
      const itemCount = collectionItemCount(collection.spec.source) ?? 0;
      cut = { itemCount, chunkCount: chunkCount(itemCount) };
      // Every chunk report comes here: the chunk objects are built only while some are missing.
      if (chunks.length < cut.chunkCount) {
        const have = new Set(chunks.map((c) => c.metadata?.name));
        const missing = chunkObjects(collection, itemCount).filter((c) => !have.has(c.metadata?.name));
        await forEachBounded(missing, concurrency, (c) => deps.writer.apply(c).then(() => undefined));
        deps.log(`collection ${key}: ${missing.length} chunk(s) created for ${itemCount} items`);
      }
    }
    const { itemCount } = cut;
    const summed = collectionStatus(itemCount, chunks);
    const conditions = ready("True", "Chunked", `${itemCount} items in ${cut.chunkCount} chunks`);
    const status: TaskCollectionStatus = { ...obj.status, ...summed, chunkCount: cut.chunkCount, observedGeneration: generation, conditions };
    // Counts move with every chunk report: written at most once per interval, a state change at once.
    const at = now().getTime();
    const since = at - (lastWrite.get(key) ?? -Infinity);
    if (summed.state === obj.status?.state && since < interval) return { requeueAfterMs: interval - since };
    if (await deps.writer.patchStatus(ref, obj.status, status)) lastWrite.set(key, at);
    return;
  };
}
