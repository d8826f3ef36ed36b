import assert from "node:assert/strict";
import { test } from "node:test";
import type { ChunkItems } from "./dispatch-state.ts";
import { itemsCompleted } from "./chunk-entry.ts";

const items = (done: number, succeeded: number, failed: number): ChunkItems => ({ start: 0, count: 100, done, succeeded, failed, collection: "ns/c" });

test("itemsCompleted: the items a chunk report completed since the last one", async (t) => {
  const cases: Record<string, { before: ChunkItems | undefined; after: ChunkItems; want: { succeeded: number; failed: number } }> = {
    "first seen (the initial list): none": { before: undefined, after: items(40, 38, 2), want: { succeeded: 0, failed: 0 } },
    "a report: the difference": { before: items(40, 38, 2), after: items(55, 52, 3), want: { succeeded: 14, failed: 1 } },
    "an assignment or a requeue (counts kept): none": { before: items(40, 38, 2), after: items(40, 38, 2), want: { succeeded: 0, failed: 0 } },
    "never negative": { before: items(40, 38, 2), after: items(0, 0, 0), want: { succeeded: 0, failed: 0 } },
  };
  for (const [name, tc] of Object.entries(cases)) await t.test(name, () => assert.deepEqual(itemsCompleted(tc.before, tc.after), tc.want));
});
