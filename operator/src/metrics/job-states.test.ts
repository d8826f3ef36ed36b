import assert from "node:assert/strict";
import { test } from "node:test";
import { JobStates } from "./job-states.ts";

test("JobStates: each event moves one job between states; the changed counts are returned", () => {
  const s = new JobStates();
  assert.deepEqual(s.set("a/j1", "a", "Active"), [{ namespace: "a", state: "Active", count: 1 }]);
  assert.deepEqual(s.set("a/j2", "a", "Active"), [{ namespace: "a", state: "Active", count: 2 }]);
  assert.deepEqual(s.set("a/j1", "a", "Active"), [], "the same state: nothing");
  assert.deepEqual(s.set("a/j1", "a", "Completed"), [{ namespace: "a", state: "Active", count: 1 }, { namespace: "a", state: "Completed", count: 1 }]);
  assert.deepEqual(s.set("a/j2", "a", undefined), [{ namespace: "a", state: "Active", count: 0 }], "deleted");
  assert.deepEqual(s.set("b/j1", "b", "Active"), [{ namespace: "b", state: "Active", count: 1 }], "namespaces apart");
});
