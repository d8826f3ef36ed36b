import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_CHUNK_FAILURES } from "../api/collection-chunk.ts";
import type { CollectionFailure, TaskCollectionStatus } from "../api/task-collection.ts";
import type { CollectionChunkObject, TaskCollectionObject } from "../kube/objects.ts";
import { collectionSummary, failureRows, summaryLines, type CollectionSummary } from "./collection-rows.ts";
import type { StateFilter } from "./task-state.ts";

const collection = (status?: TaskCollectionStatus, idPrefix?: string): TaskCollectionObject => ({
  apiVersion: "kubatch.dev/v1alpha1",
  kind: "TaskCollection",
  metadata: { name: "sweep" },
  spec: { jobName: "j", ...(idPrefix ? { idPrefix } : {}), source: { range: { start: 100, end: 129 } }, task: { commandLine: "run {} --index {index}" } },
  status,
});
const failure = (index: number, extra: Partial<CollectionFailure> = {}): CollectionFailure => ({
  index,
  id: `sweep-${index}`,
  exitCode: 2,
  failureInfo: { category: "UserError", code: "FailureExitCode", message: "The task exited with exit code 2" },
  stderrTail: `bad ${index}\n`,
  retryCount: 0,
  nodeId: "p-dedicated-1",
  ...extra,
});
const chunk = (name: string, collectionName: string, start: number, status: CollectionChunkObject["status"]): CollectionChunkObject => ({
  apiVersion: "kubatch.dev/v1alpha1",
  kind: "CollectionChunk",
  metadata: { name },
  spec: { collectionName, jobName: "j", start, count: 10 },
  status,
});

test("failureRows: a row per listed failure of the collection's chunks, in index order", () => {
  const chunks = [
    chunk("sweep-c1", "sweep", 10, { state: "Completed", nodeInfo: { poolId: "p" }, failures: [failure(17, { item: "117", retryCount: 1 })], failed: 1 }),
    chunk("sweep-c0", "sweep", 0, { state: "Completed", nodeInfo: { poolId: "p" }, failures: [failure(3, { item: "103" })], failed: 1 }),
    chunk("other-c0", "other", 0, { failures: [failure(5)] }),
    chunk("sweep-c2", "sweep", 20, { state: "Running" }),
  ];
  const rows = failureRows(collection(), chunks);
  assert.deepEqual(
    rows.map((r) => [r.name, r.index, r.state, r.result, r.node, r.pool, r.exitCode, r.retries, r.failureCode, r.item, r.commandLine, r.outcome, r.collection, r.job]),
    [
      ["sweep-3", 3, "Completed", "Failure", "p-dedicated-1", "p", 2, 0, "FailureExitCode", "103", "run 103 --index 3", "failed", "sweep", "j"],
      ["sweep-17", 17, "Completed", "Failure", "p-dedicated-1", "p", 2, 1, "FailureExitCode", "117", "run 117 --index 17", "failed", "sweep", "j"],
    ],
  );
  assert.equal(rows[0]!.failureMessage, "The task exited with exit code 2");
});

test("failureRows: without the item in the failure, the source gives it; an index past the source keeps the template", () => {
  const rows = failureRows(collection(), [chunk("sweep-c0", "sweep", 0, { failures: [failure(4), failure(40, { item: undefined })] })]);
  assert.deepEqual(rows.map((r) => r.commandLine), ["run 104 --index 4", "run {} --index {index}"]);
});

test("collectionSummary: the status's counts, and the chunks' failures not listed once they are read", () => {
  const tc = collection({ state: "Completed", itemCount: 30, counts: { active: 0, running: 0, succeeded: 28, failed: 2 } }, "px");
  assert.deepEqual(collectionSummary(tc), { name: "sweep", job: "j", idPrefix: "px", state: "Completed", itemCount: 30, counts: { active: 0, running: 0, succeeded: 28, failed: 2 }, failuresNotListed: undefined });
  const chunks = [chunk("sweep-c0", "sweep", 0, { failuresNotListed: 150 }), chunk("sweep-c1", "sweep", 10, { failuresNotListed: 7 }), chunk("other-c0", "other", 0, { failuresNotListed: 9 })];
  assert.equal(collectionSummary(tc, chunks).failuresNotListed, 157);
  assert.deepEqual(collectionSummary(collection()), { name: "sweep", job: "j", idPrefix: "sweep", state: "Active", itemCount: undefined, counts: { active: 0, running: 0, succeeded: 0, failed: 0 }, failuresNotListed: undefined });
});

test("summaryLines: the counts, then what the rows of this --state leave out", () => {
  const done: CollectionSummary = { name: "sweep", job: "j", idPrefix: "sweep", state: "Completed", itemCount: 20000, counts: { active: 0, running: 0, succeeded: 19996, failed: 4 }, failuresNotListed: 0 };
  const head = "collection sweep: 20000 items, 19996 succeeded, 4 failed, 0 running, 0 active (state Completed)";
  const cases: Record<string, { s: CollectionSummary; filter: StateFilter | undefined; want: string[] }> = {
    "no --state: counts, and how to list the failed": { s: done, filter: undefined, want: [head, "  its 4 failed items (ids sweep-<index>): --state failed lists them"] },
    "no --state, nothing failed": { s: { ...done, counts: { ...done.counts, succeeded: 20000, failed: 0 } }, filter: undefined, want: ["collection sweep: 20000 items, 20000 succeeded, 0 failed, 0 running, 0 active (state Completed)"] },
    "failed, all listed": { s: done, filter: "failed", want: [head] },
    "failed, some not listed": {
      s: { ...done, failuresNotListed: 250 },
      filter: "failed",
      want: [head, `  250 failed items not listed: each chunk of the collection keeps only its first ${MAX_CHUNK_FAILURES} failures and counts the rest`],
    },
    "succeeded: counted, not listed": { s: done, filter: "succeeded", want: [head, "  19996 succeeded items counted, not listed: a collection reports only its failed items one by one"] },
    "completed: the succeeded counted": { s: done, filter: "completed", want: [head, "  19996 succeeded items counted, not listed: a collection reports only its failed items one by one"] },
    "active, none": { s: done, filter: "active", want: [head] },
    "running, one item, blobs not counted yet": {
      s: { ...done, state: "Running", itemCount: undefined, counts: { active: 0, running: 1, succeeded: 0, failed: 0 } },
      filter: "running",
      want: ["collection sweep: items not counted yet, 0 succeeded, 0 failed, 1 running, 0 active (state Running)", "  1 running item counted, not listed: a collection reports only its failed items one by one"],
    },
  };
  for (const [name, tc] of Object.entries(cases)) assert.deepEqual(summaryLines(tc.s, tc.filter), tc.want, name);
});
