import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_CHUNK_FAILURES } from "../api/collection-chunk.ts";
import type { CollectionFailure } from "../api/task-collection.ts";
import type { CollectionChunkObject, TaskCollectionObject } from "../kube/objects.ts";
import { chunkOfItem, findCollectionItem, itemOutputNote, itemStatus, type ItemStatus } from "./collection-item.ts";

const collection = (name: string, idPrefix?: string): TaskCollectionObject => ({
  apiVersion: "kubatch.dev/v1alpha1",
  kind: "TaskCollection",
  metadata: { name },
  spec: { jobName: "j", ...(idPrefix ? { idPrefix } : {}), source: { range: { start: 0, end: 29 } }, task: { commandLine: "x" } },
});
const chunk = (collectionName: string, start: number, count: number, status?: CollectionChunkObject["status"]): CollectionChunkObject => ({
  apiVersion: "kubatch.dev/v1alpha1",
  kind: "CollectionChunk",
  metadata: { name: `${collectionName}-c${start}` },
  spec: { collectionName, jobName: "j", start, count },
  status,
});
const failure: CollectionFailure = { index: 17, id: "sweep-17", exitCode: 2, failureInfo: { category: "UserError", code: "FailureExitCode", message: "exit 2" }, stderrTail: "bad 17\n", retryCount: 0, nodeId: "p-dedicated-1" };

test("findCollectionItem: the collection whose idPrefix (default its name) the id has, and the index", () => {
  const collections = [collection("sweep"), collection("other", "run"), collection("sweep-2")];
  const cases: Record<string, [string, [string, number] | undefined]> = {
    "by name": ["sweep-17", ["sweep", 17]],
    "by idPrefix": ["run-0", ["other", 0]],
    "a name that is not the prefix when idPrefix is set": ["other-3", undefined],
    "a prefix with a hyphen": ["sweep-2-5", ["sweep-2", 5]],
    "leading zeros are not an index": ["sweep-017", undefined],
    "no index": ["sweep-", undefined],
    "unknown prefix": ["nope-1", undefined],
  };
  for (const [name, [id, want]] of Object.entries(cases)) {
    const found = findCollectionItem(collections, id);
    assert.deepEqual(found && [found.collection.metadata?.name, found.index], want, name);
  }
});

test("chunkOfItem: the collection's chunk whose [start, start + count) holds the index", () => {
  const chunks = [chunk("other", 0, 10), chunk("sweep", 10, 10), chunk("sweep", 0, 10), chunk("sweep", 20, 10)];
  const cases: Record<string, [number, number | undefined]> = { first: [0, 0], "last of a chunk": [9, 0], "next chunk": [10, 10], last: [29, 20], "past the end": [30, undefined] };
  for (const [name, [index, start]] of Object.entries(cases)) assert.equal(chunkOfItem(chunks, "sweep", index)?.spec?.start, start, name);
  assert.equal(chunkOfItem(chunks, "none", 0), undefined);
});

test("itemStatus: what the chunk says of an item (done in order from start; failures listed)", () => {
  const cases: Record<string, { chunk: CollectionChunkObject | undefined; index: number; want: ItemStatus }> = {
    "no chunk yet": { chunk: undefined, index: 3, want: { state: "Active" } },
    "listed failure": { chunk: chunk("sweep", 10, 10, { state: "Completed", done: 10, failures: [failure] }), index: 17, want: { state: "Completed", result: "Failure", failure, node: "p-dedicated-1" } },
    "done, not listed, all listed": { chunk: chunk("sweep", 10, 10, { state: "Completed", done: 10, failures: [failure] }), index: 16, want: { state: "Completed", result: "Success" } },
    "done, failures not listed: result unknown": { chunk: chunk("sweep", 10, 10, { state: "Running", done: 5, failuresNotListed: 1 }), index: 12, want: { state: "Completed" } },
    "the next item of a running chunk": { chunk: chunk("sweep", 10, 10, { state: "Running", done: 5, nodeInfo: { nodeId: "p-dedicated-0" } }), index: 15, want: { state: "Running", node: "p-dedicated-0" } },
    "later items of a running chunk": { chunk: chunk("sweep", 10, 10, { state: "Running", done: 5 }), index: 16, want: { state: "Active" } },
    "a chunk not started": { chunk: chunk("sweep", 10, 10, { state: "Active" }), index: 10, want: { state: "Active" } },
  };
  for (const [name, tc] of Object.entries(cases)) assert.deepEqual(itemStatus(tc.chunk, tc.index), tc.want, name);
});

test("itemOutputNote: what is reported of the item and where its files are", () => {
  const base = { id: "sweep-17", collection: "sweep", job: "j", file: "stderr.txt" };
  const failed: ItemStatus = { state: "Completed", result: "Failure", failure, node: "p-dedicated-1" };
  const head = "# item sweep-17 of task collection sweep";
  const cases: Record<string, { o: Parameters<typeof itemOutputNote>[0]; want: string }> = {
    "failed, stderr": {
      o: { ...base, status: failed },
      want: `${head} (Completed, Failure, exit code 2): the last KiB of stderr.txt as its chunk reported it; the full file (a failed item's directory is kept): $AZ_BATCH_NODE_ROOT_DIR/workitems/j/job-1/sweep-17/stderr.txt on node p-dedicated-1`,
    },
    "failed, stdout": {
      o: { ...base, file: "stdout.txt", status: failed },
      want: `${head} (Completed, Failure, exit code 2): a collection item's stdout is not reported (of a failed item only the stderr tail: --stderr); the full file (a failed item's directory is kept): $AZ_BATCH_NODE_ROOT_DIR/workitems/j/job-1/sweep-17/stdout.txt on node p-dedicated-1`,
    },
    succeeded: {
      o: { ...base, status: { state: "Completed", result: "Success" } },
      want: `${head} (Completed, Success): a collection item's output is not reported unless it fails, and a succeeded item's working directory is removed from its node after it succeeded`,
    },
    "completed, result unknown": {
      o: { ...base, status: { state: "Completed" } },
      want: `${head} (Completed): succeeded, or failed beyond the failures its chunk lists (it keeps the first ${MAX_CHUNK_FAILURES}); no output reported: a succeeded item's working directory is removed from its node, a failed one's file is $AZ_BATCH_NODE_ROOT_DIR/workitems/j/job-1/sweep-17/stderr.txt`,
    },
    running: {
      o: { ...base, status: { state: "Running", node: "p-dedicated-0" } },
      want: `${head} (Running): a collection item's output is not reported while it runs; the file: $AZ_BATCH_NODE_ROOT_DIR/workitems/j/job-1/sweep-17/stderr.txt on node p-dedicated-0`,
    },
    active: { o: { ...base, status: { state: "Active" } }, want: `${head} (Active): not run yet, no output` },
  };
  for (const [name, tc] of Object.entries(cases)) assert.equal(itemOutputNote(tc.o), tc.want, name);
});
