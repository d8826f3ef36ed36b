import assert from "node:assert/strict";
import { test } from "node:test";
import { removalsAsNull, statusUnchanged } from "./apply.ts";

test("removalsAsNull: what next leaves out is nulled, so the merge patch removes it", async (t) => {
  const cases: Record<string, [current: unknown, next: object, patch: object]> = {
    "nothing removed: next as it is": [{ a: 1, b: { c: 2 } }, { a: 1, b: { c: 3 }, d: 4 }, { a: 1, b: { c: 3 }, d: 4 }],
    "a member left out": [{ a: 1, b: 2 }, { a: 1 }, { a: 1, b: null }],
    "a nested member left out": [{ info: { exitCode: 3, startTime: "t" } }, { info: { startTime: "t" } }, { info: { startTime: "t", exitCode: null } }],
    "a whole object left out": [{ info: { exitCode: 3 } }, {}, { info: null }],
    "arrays are replaced, not merged": [{ list: [1, 2] }, { list: [1] }, { list: [1] }],
    "undefined in current is not there": [{ a: undefined }, {}, {}],
    "no current: next": [undefined, { a: 1 }, { a: 1 }],
  };
  for (const [name, [current, next, patch]] of Object.entries(cases)) await t.test(name, () => assert.deepEqual(removalsAsNull(current, next), patch));
  await t.test("an unchanged status stays unchanged (its write is skipped)", () => {
    const s = { state: "Running", executionInfo: { startTime: "t" } };
    assert.ok(statusUnchanged(s, removalsAsNull(s, structuredClone(s))));
  });
});
