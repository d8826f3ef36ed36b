import assert from "node:assert/strict";
import { test } from "node:test";
import type { CollectionChunkStatus } from "../../../api/collection-chunk.ts";
import type { TaskCollectionStatus } from "../../../api/task-collection.ts";
import type { CollectionChunkObject, TaskCollectionObject } from "../../../kube/objects.ts";
import { assertWrites, cache, fakeApi, FakeClock, type WantWrite } from "../controller/reconcile-harness.ts";
import type { Outcome } from "../controller/work-queue.ts";
import { ListingFailed } from "./blob-source.ts";
import { makeCollectionReconciler } from "./reconciler.ts";

const t0 = "2026-12-03T12:00:00.000Z";

function collection(source: object, status?: TaskCollectionStatus): TaskCollectionObject {
  return {
    apiVersion: "kubatch.dev/v1alpha1",
    kind: "TaskCollection",
    metadata: { name: "sweep", namespace: "ns", uid: "uid-c", generation: 1 },
    spec: { jobName: "j", source, task: { commandLine: "echo {item}", requiredSlots: 2 }, dependsOn: { taskIds: ["setup"] } },
    status,
  } as TaskCollectionObject;
}
const chunk = (n: number, start: number, count: number, status?: CollectionChunkStatus, ownerUid = "uid-c"): CollectionChunkObject =>
  ({ apiVersion: "kubatch.dev/v1alpha1", kind: "CollectionChunk", metadata: { name: `sweep-c${n}`, namespace: "ns", ownerReferences: [{ apiVersion: "kubatch.dev/v1alpha1", kind: "TaskCollection", name: "sweep", uid: ownerUid, controller: true }] }, spec: { collectionName: "sweep", jobName: "j", start, count, requiredSlots: 2 }, status }) as CollectionChunkObject;
const applied = (n: number, start: number, count: number): WantWrite => ({
  verb: "apply",
  kind: "CollectionChunk",
  name: `sweep-c${n}`,
  body: { metadata: { namespace: "ns", ownerReferences: [{ kind: "TaskCollection", name: "sweep", uid: "uid-c", controller: true }] }, spec: { collectionName: "sweep", jobName: "j", start, count, requiredSlots: 2, dependsOn: { taskIds: ["setup"] } } },
});
const status = (body: object): WantWrite => ({ verb: "patchStatus", kind: "TaskCollection", name: "sweep", body: { status: body } });
const range = (n: number) => ({ range: { start: 0, end: n - 1 } });
const running = (done: number, count = 10): CollectionChunkStatus => ({ state: "Running", done, succeeded: done, failed: 0, startTime: t0 });

type Step = { collection: TaskCollectionObject; chunks: CollectionChunkObject[]; blobs?: string[] | Error; afterMs?: number; writes: WantWrite[]; outcome?: Outcome; rejects?: RegExp };

const blobs = { blobs: { containerUrl: "http://127.0.0.1:10000/devstoreaccount1/in", prefix: "scans/" } };
const names = (n: number, tag = "") => Array.from({ length: n }, (_, i) => `scans/${tag}${String(i).padStart(3, "0")}.png`);
const listedChunk = (n: number, start: number, count: number): WantWrite => {
  const w = applied(n, start, count);
  return { ...w, body: { ...(w.body as object), spec: { ...(w.body as { spec: object }).spec, items: names(start + count).slice(start) } } };
};
const listedCached = (n: number, start: number, count: number, tag = ""): CollectionChunkObject => {
  const c = chunk(n, start, count);
  return { ...c, spec: { ...c.spec!, items: names(start + count, tag).slice(start) } };
};

test("the collection reconciler cuts the collection into chunks and sums them into its status, at most every 5 s", async (t) => {
  const cases: Record<string, Step[]> = {
    "a new collection: its chunks created (owned, with the job, slots and dependencies), its status Active": [
      {
        collection: collection(range(25)),
        chunks: [],
        writes: [applied(0, 0, 10), applied(1, 10, 10), applied(2, 20, 5), status({ state: "Active", itemCount: 25, counts: { active: 25, running: 0, succeeded: 0, failed: 0 }, conditions: [{ type: "Ready", status: "True", reason: "Chunked" }] })],
      },
    ],
    "the chunks there already: none created again; the counts summed": [
      {
        collection: collection(range(20)),
        chunks: [chunk(0, 0, 10, { state: "Completed", done: 10, succeeded: 9, failed: 1, startTime: t0, endTime: t0 }), chunk(1, 10, 10, running(4))],
        writes: [status({ state: "Running", counts: { active: 5, running: 1, succeeded: 13, failed: 1 }, startTime: t0 })],
      },
    ],
    "counts that move within 5 s of the last write wait; a state change does not": [
      { collection: collection(range(20)), chunks: [chunk(0, 0, 10, running(1)), chunk(1, 10, 10)], writes: [status({ state: "Running", counts: { active: 18, running: 1, succeeded: 1, failed: 0 } })] },
      { collection: collection(range(20), { state: "Running" }), chunks: [chunk(0, 0, 10, running(5)), chunk(1, 10, 10)], afterMs: 2_000, writes: [], outcome: { requeueAfterMs: 3_000 } },
      { collection: collection(range(20), { state: "Running" }), chunks: [chunk(0, 0, 10, running(6)), chunk(1, 10, 10)], afterMs: 3_000, writes: [status({ counts: { active: 13, running: 1, succeeded: 6, failed: 0 } })] },
      {
        collection: collection(range(20), { state: "Running" }),
        chunks: [chunk(0, 0, 10, { state: "Completed", done: 10, succeeded: 10, failed: 0, endTime: t0 }), chunk(1, 10, 10, { state: "Completed", done: 10, succeeded: 10, failed: 0, endTime: t0 })],
        afterMs: 100,
        writes: [status({ state: "Completed", counts: { active: 0, running: 0, succeeded: 20, failed: 0 }, endTime: t0 })],
      },
    ],
    "a blob source: listed into chunks carrying the names, its count and chunks in the status": [
      {
        collection: collection(blobs),
        chunks: [],
        blobs: names(25),
        writes: [listedChunk(0, 0, 10), listedChunk(1, 10, 10), listedChunk(2, 20, 5), status({ state: "Active", itemCount: 25, chunkCount: 3, counts: { active: 25, running: 0, succeeded: 0, failed: 0 }, conditions: [{ type: "Ready", status: "True", reason: "Chunked" }] })],
      },
      // The next reconcile comes before the status is cached: not listed again (the lister would throw).
      { collection: collection(blobs), chunks: [listedCached(0, 0, 10), listedCached(1, 10, 10), listedCached(2, 20, 5)], blobs: new Error("listed twice"), afterMs: 6_000, writes: [status({ itemCount: 25, chunkCount: 3 })] },
    ],
    "a blob source listed before (status says so): not listed again": [
      { collection: collection(blobs, { itemCount: 25, chunkCount: 3 }), chunks: [listedCached(0, 0, 10), listedCached(1, 10, 10), listedCached(2, 20, 5)], blobs: new Error("listed twice"), writes: [status({ state: "Active" })] },
    ],
    "listed again after a crash: only the chunks not there are applied (the cache holds no names)": [
      { collection: collection(blobs), chunks: [chunk(0, 0, 10)], blobs: names(25), writes: [listedChunk(1, 10, 10), listedChunk(2, 20, 5), status({ itemCount: 25, chunkCount: 3 })] },
    ],
    "the blobs changed since the chunks were cut: Ready False SourceChanged, nothing overwritten": [
      // 33 names now: 0..9 and 10..19 as before, then 20..29 where 20..24 is.
      { collection: collection(blobs), chunks: [chunk(0, 0, 10), chunk(1, 10, 10), chunk(2, 20, 5)], blobs: names(33), writes: [status({ conditions: [{ type: "Ready", status: "False", reason: "SourceChanged" }] })] },
    ],
    "a collection created again under the same name: waits for its predecessor's chunks to be collected": [
      { collection: collection(range(20)), chunks: [chunk(0, 0, 10, running(4), "uid-old"), chunk(1, 10, 10, undefined, "uid-old")], writes: [], outcome: { requeueAfterMs: 5_000 } },
      { collection: collection(range(20)), chunks: [], afterMs: 1_000, writes: [applied(0, 0, 10), applied(1, 10, 10), status({ state: "Active", itemCount: 20 })] },
    ],
    "a listed chunk deleted: listed again for its names once it stays missing an interval, only it applied": [
      { collection: collection(blobs, { itemCount: 25, chunkCount: 3 }), chunks: [listedCached(0, 0, 10), listedCached(2, 20, 5)], blobs: names(25), writes: [], outcome: { requeueAfterMs: 5_000 } },
      { collection: collection(blobs, { itemCount: 25, chunkCount: 3 }), chunks: [listedCached(0, 0, 10), listedCached(2, 20, 5)], blobs: names(25), afterMs: 5_000, writes: [listedChunk(1, 10, 10), status({ state: "Active" })] },
    ],
    "a chunk the cache had not seen yet arrives within the interval: nothing listed": [
      { collection: collection(blobs, { itemCount: 25, chunkCount: 3 }), chunks: [listedCached(0, 0, 10), listedCached(1, 10, 10)], blobs: new Error("listed again"), writes: [], outcome: { requeueAfterMs: 5_000 } },
      { collection: collection(blobs, { itemCount: 25, chunkCount: 3 }), chunks: [listedCached(0, 0, 10), listedCached(1, 10, 10), listedCached(2, 20, 5)], blobs: new Error("listed again"), afterMs: 2_000, writes: [status({ state: "Active" })] },
    ],
    "listed again with fewer names than chunks here: Ready False SourceChanged": [
      { collection: collection(blobs), chunks: [chunk(0, 0, 10), chunk(1, 10, 10), chunk(2, 20, 5)], blobs: names(20), writes: [status({ conditions: [{ type: "Ready", status: "False", reason: "SourceChanged" }] })] },
    ],
    "an empty container: no chunks, Completed": [
      { collection: collection(blobs), chunks: [], blobs: [], writes: [status({ state: "Completed", itemCount: 0, chunkCount: 0 })] },
    ],
    "credentials not readable: Ready False saying so, retried with back-off": [
      {
        collection: collection(blobs),
        chunks: [],
        blobs: new ListingFailed("CredentialsNotReadable", "Secret s has no key k"),
        writes: [status({ conditions: [{ type: "Ready", status: "False", reason: "CredentialsNotReadable", message: "source.blobs: Secret s has no key k" }] })],
        rejects: /Secret s has no key k/,
      },
    ],
  };
  for (const [name, steps] of Object.entries(cases)) {
    await t.test(name, async () => {
      const clock = new FakeClock(t0);
      let current: Step = steps[0]!;
      const api = fakeApi();
      const reconcile = makeCollectionReconciler({
        collections: cache(() => [current.collection]),
        chunksOf: () => current.chunks,
        listBlobs: async function* (namespace, source) {
          assert.deepEqual([namespace, source], ["ns", blobs.blobs]);
          if (current.blobs instanceof Error) throw current.blobs;
          yield* current.blobs ?? [];
        },
        writer: api.writer,
        events: api.recorder,
        log: () => {},
        now: clock.date,
      });
      for (const step of steps) {
        current = step;
        await clock.advance(step.afterMs ?? 0);
        const from = api.writes.length;
        if (step.rejects) await assert.rejects(reconcile("ns/sweep"), step.rejects);
        else assert.deepEqual(await reconcile("ns/sweep"), step.outcome);
        assertWrites(api.writes.slice(from), step.writes);
      }
    });
  }
});

test("the lease lost during a listing: the reconcile stops, nothing more written (no status, no event)", async () => {
  const api = fakeApi();
  const lease = new AbortController();
  const reconcile = makeCollectionReconciler({
    collections: cache(() => [collection(blobs)]),
    chunksOf: () => [],
    listBlobs: async function* (_namespace, _source, signal) {
      yield* names(5);
      lease.abort(new Error("lease lost"));
      // What the lister makes of the SDK's aborted request.
      if (signal?.aborted) throw new ListingFailed("BlobListingFailed", "The operation was aborted.");
    },
    writer: api.writer,
    events: api.recorder,
    log: () => {},
    now: new FakeClock(t0).date,
  });
  await assert.rejects(reconcile("ns/sweep", lease.signal), /aborted/);
  assertWrites(api.writes, []);
  assert.deepEqual(api.events, []);
});
