import assert from "node:assert/strict";
import { test } from "node:test";
import { matchesNodeAndExitCode, matchesState, parseExitCodeFilter, parseStateFilter, type StateFilter } from "./task-state.ts";
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

test("parseExitCodeFilter: an integer, else --exit-code named", () => {
  assert.equal(parseExitCodeFilter(undefined), undefined);
  assert.equal(parseExitCodeFilter("0"), 0);
  assert.equal(parseExitCodeFilter("-1"), -1);
  for (const bad of ["", "1.5", "x", "0x1"]) assert.throws(() => parseExitCodeFilter(bad), { name: "UsageError", message: `--exit-code: "${bad}" is not an integer` });
});

test("matchesNodeAndExitCode: both must hold; no filter is everything", () => {
  const rows = [{ node: "n1", exitCode: 0 }, { node: "n1", exitCode: 3 }, { node: "n2", exitCode: 3 }, { node: "", exitCode: undefined }];
  const cases: Record<string, { filter: { node?: string; exitCode?: number }; want: number[] }> = {
    none: { filter: {}, want: [0, 1, 2, 3] },
    "a node": { filter: { node: "n1" }, want: [0, 1] },
    "an exit code": { filter: { exitCode: 3 }, want: [1, 2] },
    both: { filter: { node: "n2", exitCode: 3 }, want: [2] },
    "exit code 0 is not a task that has none": { filter: { exitCode: 0 }, want: [0] },
  };
  for (const [name, c] of Object.entries(cases)) assert.deepEqual(rows.flatMap((r, i) => (matchesNodeAndExitCode(r, c.filter) ? [i] : [])), c.want, name);
});
