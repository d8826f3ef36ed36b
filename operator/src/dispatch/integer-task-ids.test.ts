import assert from "node:assert/strict";
import { test } from "node:test";
import { integerTaskId } from "../../../api/task-dependencies.ts";
import { IntegerTaskIds } from "./integer-task-ids.ts";

test("integerTaskId takes canonical non-negative integers only", async (t) => {
  const cases: Record<string, number | undefined> = { "0": 0, "7": 7, "2147483647": 2147483647, "07": undefined, "-1": undefined, "1e3": undefined, a1: undefined, "12345678901": undefined };
  for (const [id, want] of Object.entries(cases)) await t.test(id, () => assert.equal(integerTaskId(id), want));
});

test("inRange lists the ids that exist in a range, ascending, whatever the order of changes", async (t) => {
  type Case = { ops: string[]; range: [number, number]; want: number[] };
  const cases: Record<string, Case> = {
    "ascending adds": { ops: ["+1", "+2", "+3", "+10"], range: [2, 9], want: [2, 3] },
    "out of order adds": { ops: ["+9", "+3", "+5", "+x", "+07"], range: [0, 2147483647], want: [3, 5, 9] },
    "a delete hides the id": { ops: ["+1", "+2", "+3", "-2"], range: [1, 3], want: [1, 3] },
    "a delete then re-add (a status update) keeps it": { ops: ["+1", "+2", "-2", "+2"], range: [0, 5], want: [1, 2] },
    "duplicates count once": { ops: ["+4", "+4"], range: [4, 4], want: [4] },
    "an empty range": { ops: ["+1"], range: [2, 3], want: [] },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const ids = new IntegerTaskIds();
      for (const op of tc.ops) (op[0] === "+" ? ids.add(op.slice(1)) : ids.delete(op.slice(1)));
      assert.deepEqual([...ids.inRange(...tc.range)], tc.want);
    });
  }
});

test("many deletes are compacted away", () => {
  const ids = new IntegerTaskIds();
  for (let i = 0; i < 10_000; i++) ids.add(String(i));
  for (let i = 0; i < 9_990; i++) ids.delete(String(i));
  assert.equal(ids.size, 10);
  assert.deepEqual([...ids.inRange(0, 2147483647)], [9990, 9991, 9992, 9993, 9994, 9995, 9996, 9997, 9998, 9999]);
});
