import assert from "node:assert/strict";
import { test } from "node:test";
import { matchesState, parseStateFilter, type StateFilter } from "./task-state.ts";
import type { Outcome } from "./task-row.ts";

test("parseStateFilter takes the five states in any case and names --state otherwise", () => {
  assert.equal(parseStateFilter(undefined), undefined);
  assert.equal(parseStateFilter("failed"), "failed");
  assert.equal(parseStateFilter("Completed"), "completed");
  for (const bad of ["", "done", "fail", "preparing"]) assert.throws(() => parseStateFilter(bad), { name: "UsageError", message: `--state: "${bad}" is not one of active, running, completed, succeeded, failed` });
});

test("matchesState: completed is both results; no filter is everything", () => {
  const outcomes: Outcome[] = ["active", "running", "succeeded", "failed"];
  const want: Record<string, Outcome[]> = {
    none: outcomes,
    active: ["active"],
    running: ["running"],
    completed: ["succeeded", "failed"],
    succeeded: ["succeeded"],
    failed: ["failed"],
  };
  for (const [filter, shown] of Object.entries(want)) {
    const f = filter === "none" ? undefined : (filter as StateFilter);
    assert.deepEqual(outcomes.filter((o) => matchesState(o, f)), shown, filter);
  }
});
