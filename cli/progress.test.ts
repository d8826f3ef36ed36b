import assert from "node:assert/strict";
import { test } from "node:test";
import { bar, formatWaitProgress, type Counts } from "./progress.ts";
import { allCompleted, collectionCounts } from "./job-wait.ts";
import type { TaskCollectionObject } from "../kube/objects.ts";

const counts = (c: Partial<Counts>): Counts => ({ total: 0, active: 0, running: 0, succeeded: 0, failed: 0, ...c });

const cases: Record<string, { c: Counts; tty: boolean; want: string }> = {
  "the brief's example on a terminal": {
    c: counts({ total: 500, succeeded: 408, failed: 12, running: 30, active: 50 }),
    tty: true,
    want: "[########..] 420/500 completed, 12 failed, 30 running",
  },
  "plain lines carry active tasks and time": {
    c: counts({ total: 500, succeeded: 408, failed: 12, running: 30, active: 50 }),
    tty: false,
    want: "420/500 completed, 12 failed, 30 running, 50 active (12.0s)",
  },
  "no tasks yet": { c: counts({}), tty: true, want: "[..........] 0/0 completed, 0 failed, 0 running" },
  "all done": { c: counts({ total: 3, succeeded: 3 }), tty: true, want: "[##########] 3/3 completed, 0 failed, 0 running" },
};
for (const [name, tc] of Object.entries(cases)) {
  test(name, () => assert.equal(formatWaitProgress(tc.c, { tty: tc.tty, width: 10, elapsedMs: 12_000 }), tc.want));
}

test("the bar never overflows", () => assert.equal(bar(7, 5, 4), "[####]"));

const done: Record<string, [Counts, boolean]> = {
  "an empty job is not done": [counts({}), false],
  "tasks still running": [counts({ total: 2, succeeded: 1, running: 1 }), false],
  "every task completed, some failed": [counts({ total: 2, succeeded: 1, failed: 1 }), true],
};
for (const [name, [c, want]] of Object.entries(done)) test(`allCompleted: ${name}`, () => assert.equal(allCompleted(c), want));

const collection = (status: Record<string, unknown> | undefined) => ({ metadata: { name: "c" }, spec: {}, ...(status ? { status } : {}) }) as unknown as TaskCollectionObject;
const itemCases: Record<string, { collections: TaskCollectionObject[]; want: Counts; complete: boolean }> = {
  "no collections": { collections: [], want: counts({}), complete: false },
  "a collection not reconciled yet counts one active item": { collections: [collection(undefined)], want: counts({ total: 1, active: 1 }), complete: false },
  "items not yet run are active": { collections: [collection({ state: "Running", itemCount: 100, counts: { active: 60, running: 4, succeeded: 30, failed: 6 } })], want: counts({ total: 100, active: 60, running: 4, succeeded: 30, failed: 6 }), complete: false },
  "blobs still being listed: one active more than known": { collections: [collection({ state: "Running", counts: { running: 2, succeeded: 10 } })], want: counts({ total: 13, active: 1, running: 2, succeeded: 10 }), complete: false },
  "two completed collections add up": {
    collections: [collection({ state: "Completed", itemCount: 100, counts: { succeeded: 100 } }), collection({ state: "Completed", itemCount: 5, counts: { succeeded: 3, failed: 2 } })],
    want: counts({ total: 105, succeeded: 103, failed: 2 }),
    complete: true,
  },
};
for (const [name, tc] of Object.entries(itemCases)) {
  test(`collectionCounts: ${name}`, () => {
    const got = collectionCounts(tc.collections);
    assert.deepEqual(got, tc.want);
    assert.equal(allCompleted(got), tc.complete);
  });
}
