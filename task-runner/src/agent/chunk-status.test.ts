import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { collectionChunkStatusSchema, MAX_CHUNK_FAILURES } from "../../../api/collection-chunk.ts";
import type { ItemResult } from "./chunk-record.ts";
import { chunkBase, chunkProgress, chunkStatusBody, writeDelay } from "./chunk-status.ts";

const ok = (index: number): ItemResult => ({ index, id: `c-${index}`, item: String(index), result: "Success", exitCode: 0, retryCount: 0 });
const bad = (index: number, stderrTail = "boom\n"): ItemResult => ({
  index,
  id: `c-${index}`,
  item: String(index),
  result: "Failure",
  exitCode: 1,
  retryCount: 2,
  failureInfo: { category: "UserError", code: "FailureExitCode", message: "the task exited with code 1" },
  stderrTail,
});
const range = (from: number, n: number, f: (i: number) => ItemResult) => Array.from({ length: n }, (_, i) => f(from + i));

describe("chunkProgress", () => {
  const cases: { name: string; status?: Parameters<typeof chunkBase>[0]; results: ItemResult[]; max?: number; want: { done: number; succeeded: number; failed: number; listed: number[]; notListed: number } }[] = [
    { name: "nothing yet", results: [], want: { done: 0, succeeded: 0, failed: 0, listed: [], notListed: 0 } },
    { name: "successes and failures in order", results: [ok(0), bad(1), ok(2), bad(3)], want: { done: 4, succeeded: 2, failed: 2, listed: [1, 3], notListed: 0 } },
    {
      name: "after a requeue: an earlier node's counts and failures stay",
      status: { done: 3, succeeded: 2, failed: 1, failures: [{ index: 1, id: "c-1", failureInfo: { category: "UserError", code: "X" }, stderrTail: "", retryCount: 0, nodeId: "old" }], failuresNotListed: 0 },
      results: [ok(3), bad(4)],
      want: { done: 5, succeeded: 3, failed: 2, listed: [1, 4], notListed: 0 },
    },
    { name: "the failure list is capped, the rest counted", results: range(0, 5, bad), max: 3, want: { done: 5, succeeded: 0, failed: 5, listed: [0, 1, 2], notListed: 2 } },
    { name: "capped at MAX_CHUNK_FAILURES by default", results: range(0, MAX_CHUNK_FAILURES + 7, bad), want: { done: MAX_CHUNK_FAILURES + 7, succeeded: 0, failed: MAX_CHUNK_FAILURES + 7, listed: Array.from({ length: MAX_CHUNK_FAILURES }, (_, i) => i), notListed: 7 } },
    { name: "a full list from before a requeue: new failures only counted", status: { done: 2, failed: 2, failures: chunkProgress(chunkBase(undefined), range(0, 2, bad), "old").failures, failuresNotListed: 0 }, results: [bad(2)], max: 2, want: { done: 3, succeeded: 0, failed: 3, listed: [0, 1], notListed: 1 } },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const p = chunkProgress(chunkBase(c.status), c.results, "node-a", c.max);
      assert.deepEqual({ done: p.done, succeeded: p.succeeded, failed: p.failed, listed: p.failures.map((f) => f.index), notListed: p.failuresNotListed }, c.want);
    });
  }

  test("a failure entry: exit code, stderr's last KiB, retries, the node", () => {
    const [f] = chunkProgress(chunkBase(undefined), [bad(7, "x".repeat(3000) + "END")], "node-a").failures;
    assert.deepEqual({ ...f, stderrTail: f!.stderrTail.length }, { index: 7, id: "c-7", item: "7", exitCode: 1, failureInfo: bad(7).failureInfo, stderrTail: 1024, retryCount: 2, nodeId: "node-a" });
    assert.ok(f!.stderrTail.endsWith("END"));
  });
});

describe("chunkStatusBody", () => {
  const progress = chunkProgress(chunkBase(undefined), [ok(0), bad(1)], "node-a");
  const nodeInfo = { poolId: "p", nodeId: "node-a" };
  const startTime = "2026-01-01T00:00:00.000Z";
  const cases: { name: string; endTime?: string; writtenFailed?: number; want: Record<string, unknown> }[] = [
    { name: "while items remain: Running with the counts and failures", want: { state: "Running", nodeInfo, startTime, done: 2, succeeded: 1, failed: 1, failures: progress.failures, failuresNotListed: 0 } },
    { name: "failures unchanged since the last write: not sent again", writtenFailed: 1, want: { state: "Running", nodeInfo, startTime, done: 2, succeeded: 1, failed: 1 } },
    { name: "the end: Completed with endTime", endTime: "2026-01-01T00:01:00.000Z", writtenFailed: 0, want: { state: "Completed", nodeInfo, startTime, endTime: "2026-01-01T00:01:00.000Z", done: 2, succeeded: 1, failed: 1, failures: progress.failures, failuresNotListed: 0 } },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const body = chunkStatusBody({ progress, nodeInfo, startTime, endTime: c.endTime, writtenFailed: c.writtenFailed });
      assert.deepEqual(body, c.want);
      assert.equal(collectionChunkStatusSchema.safeParse(body).success, true, "the CRD's status schema takes it");
    });
  }
});

describe("writeDelay", () => {
  const cases: { name: string; now: number; last?: number; unreported: boolean; want: number | undefined }[] = [
    { name: "nothing new: no write", now: 5_000, last: 0, unreported: false, want: undefined },
    { name: "nothing written yet: at once", now: 5_000, unreported: true, want: 0 },
    { name: "the interval is over: at once", now: 5_000, last: 2_500, unreported: true, want: 0 },
    { name: "within the interval: when it ends", now: 5_000, last: 4_500, unreported: true, want: 1_500 },
  ];
  for (const c of cases) test(c.name, () => assert.equal(writeDelay(c.now, c.last, c.unreported, 2_000), c.want));
});
