import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_LISTED_FAILURES, type CollectionFailure } from "../../../api/task-collection.ts";
import type { CollectionChunkObject } from "../../../kube/objects.ts";
import { collectionStatus } from "./collection-status.ts";

const failure = (index: number): CollectionFailure => ({
  index,
  id: `c-${index}`,
  exitCode: 1,
  failureInfo: { category: "UserError", code: "FailureExitCode", message: "exit code 1" },
  stderrTail: "boom",
  retryCount: 0,
});
type Status = NonNullable<CollectionChunkObject["status"]>;
const chunk = (start: number, count: number, status?: Status) => ({ spec: { collectionName: "c", jobName: "j", start, count }, status });

describe("a collection's status from its chunks", () => {
  const t0 = "2026-12-03T10:00:00.000Z";
  const t1 = "2026-12-03T10:05:00.000Z";
  const t2 = "2026-12-03T10:09:00.000Z";
  const cases: Record<string, { items: number; chunks: ReturnType<typeof chunk>[]; want: Partial<ReturnType<typeof collectionStatus>> }> = {
    "no chunks yet: every item active": {
      items: 100,
      chunks: [],
      want: { state: "Active", counts: { active: 100, running: 0, succeeded: 0, failed: 0 } },
    },
    "chunks not started": {
      items: 20,
      chunks: [chunk(0, 10), chunk(10, 10, { state: "Active" })],
      want: { state: "Active", counts: { active: 20, running: 0, succeeded: 0, failed: 0 } },
    },
    "one chunk running with 4 done (1 failed), one waiting: one item running": {
      items: 20,
      chunks: [chunk(0, 10, { state: "Running", done: 4, succeeded: 3, failed: 1, failures: [failure(2)], startTime: t0 }), chunk(10, 10)],
      want: { state: "Running", counts: { active: 15, running: 1, succeeded: 3, failed: 1 }, startTime: t0, failures: [failure(2)] },
    },
    "a requeued chunk keeps its done items; not running, its rest active": {
      items: 10,
      chunks: [chunk(0, 10, { state: "Active", done: 6, succeeded: 6, failed: 0, requeueCount: 1, startTime: t0 })],
      want: { state: "Running", counts: { active: 4, running: 0, succeeded: 6, failed: 0 }, startTime: t0 },
    },
    "all completed: earliest start, latest end, failures in index order": {
      items: 20,
      chunks: [
        chunk(10, 10, { state: "Completed", done: 10, succeeded: 9, failed: 1, failures: [failure(17)], startTime: t1, endTime: t2 }),
        chunk(0, 10, { state: "Completed", done: 10, succeeded: 9, failed: 1, failures: [failure(3)], startTime: t0, endTime: t1 }),
      ],
      want: { state: "Completed", counts: { active: 0, running: 0, succeeded: 18, failed: 2 }, startTime: t0, endTime: t2, failures: [failure(3), failure(17)] },
    },
    "completed chunks not covering every item yet: not completed, no end time": {
      items: 30,
      chunks: [chunk(0, 10, { state: "Completed", done: 10, succeeded: 10, failed: 0, startTime: t0, endTime: t1 })],
      want: { state: "Running", counts: { active: 20, running: 0, succeeded: 10, failed: 0 }, startTime: t0, endTime: undefined },
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    it(name, () => {
      const got = collectionStatus(tc.items, tc.chunks);
      assert.equal(got.itemCount, tc.items);
      for (const [field, value] of Object.entries(tc.want)) assert.deepEqual(got[field as keyof typeof got], value, field);
    });
  }

  it(`lists the first ${MAX_LISTED_FAILURES} failed items and counts the rest`, () => {
    const perChunk = 60;
    const chunks = [0, 1, 2].map((n) => chunk(n * 100, 100, { state: "Completed", done: 100, succeeded: 100 - perChunk, failed: perChunk, failures: Array.from({ length: perChunk }, (_, i) => failure(n * 100 + i)) }));
    const got = collectionStatus(300, chunks);
    assert.equal(got.failures?.length, MAX_LISTED_FAILURES);
    assert.deepEqual(got.failures?.map((f) => f.index).slice(58, 62), [58, 59, 100, 101]);
    assert.equal(got.failuresNotListed, 3 * perChunk - MAX_LISTED_FAILURES);
    assert.equal(got.counts?.failed, 3 * perChunk);
  });
});
