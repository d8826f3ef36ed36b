import assert from "node:assert/strict";
import { test } from "node:test";
import { findCycles } from "./dependency-cycles.ts";

test("findCycles reports every task on a cycle with its members", async (t) => {
  const cases: Record<string, { graph: Record<string, string[]>; want: Record<string, string[]> }> = {
    "a diamond has no cycle": { graph: { a: [], b: ["a"], c: ["a"], d: ["b", "c"] }, want: {} },
    "two tasks waiting on each other": { graph: { a: ["b"], b: ["a"], c: ["a"] }, want: { a: ["a", "b"], b: ["a", "b"] } },
    "a task waiting on itself": { graph: { a: ["a"], b: [] }, want: { a: ["a"] } },
    "a three-cycle behind a chain": { graph: { x: ["a"], a: ["b"], b: ["c"], c: ["a"] }, want: { a: ["a", "b", "c"], b: ["a", "b", "c"], c: ["a", "b", "c"] } },
    "edges to unknown (completed or missing) tasks are ignored": { graph: { a: ["gone"], b: ["a"] }, want: {} },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, () => {
      const got = findCycles(Object.entries(c.graph).map(([id, deps]) => ({ id, deps })));
      assert.deepEqual(Object.fromEntries(got), c.want);
    });
  }
});

test("findCycles handles a 100,000-task chain closed into a loop", () => {
  const n = 100_000;
  const nodes = Array.from({ length: n }, (_, i) => ({ id: String(i), deps: [String((i + 1) % n)] }));
  const got = findCycles(nodes);
  assert.equal(got.size, n);
  assert.equal(got.get("0")?.length, n);
});
