import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_PREPARATION_FAILED_NODES, withPreparationFailedNode } from "./task.ts";

test("withPreparationFailedNode: the node last, once; the oldest dropped past the bound", () => {
  assert.deepEqual(withPreparationFailedNode(undefined, "n1"), ["n1"]);
  assert.deepEqual(withPreparationFailedNode(["n1", "n2"], "n1"), ["n2", "n1"], "named once, as the latest");
  const full = Array.from({ length: MAX_PREPARATION_FAILED_NODES }, (_, i) => `n${i}`);
  const next = withPreparationFailedNode(full, "new");
  assert.equal(next.length, MAX_PREPARATION_FAILED_NODES);
  assert.deepEqual([next[0], next.at(-1)], ["n1", "new"]);
});
