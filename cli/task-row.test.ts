import assert from "node:assert/strict";
import { test } from "node:test";
import { compareNames, firstLine, formatElapsed, taskRow, type Outcome } from "./task-row.ts";
import type { TaskObject } from "../kube/objects.ts";

const task = (status: TaskObject["status"]): TaskObject => ({ apiVersion: "kubatch.dev/v1alpha1", kind: "Task", metadata: { name: "t" }, spec: { jobName: "j", commandLine: "x" }, status });
const t0 = "2026-01-01T00:00:00Z";

const cases: Record<string, { status: TaskObject["status"]; outcome: Outcome; durationMs?: number; exitCode?: number }> = {
  "no status yet": { status: undefined, outcome: "active" },
  running: { status: { state: "Running", executionInfo: { startTime: t0 } }, outcome: "running", durationMs: 5_000 },
  succeeded: { status: { state: "Completed", executionInfo: { startTime: t0, endTime: "2026-01-01T00:00:01.5Z", exitCode: 0, result: "Success" } }, outcome: "succeeded", durationMs: 1_500, exitCode: 0 },
  "failed by result": { status: { state: "Completed", executionInfo: { exitCode: 3, result: "Failure" } }, outcome: "failed", exitCode: 3 },
  "failed without a result (pre-processing error)": { status: { state: "Completed", executionInfo: {} }, outcome: "failed" },
};
for (const [name, tc] of Object.entries(cases)) {
  test(`taskRow: ${name}`, () => {
    const row = taskRow(task(tc.status), Date.parse(t0) + 5_000);
    assert.equal(row.outcome, tc.outcome);
    assert.equal(row.durationMs, tc.durationMs);
    assert.equal(row.exitCode, tc.exitCode);
  });
}

test("names sort with numbers in numeric order", () => assert.deepEqual(["j-task-10", "j-task-2", "j-task-1"].sort(compareNames), ["j-task-1", "j-task-2", "j-task-10"]));

const elapsed: Record<string, [number | undefined, string]> = { none: [undefined, ""], ms: [850, "850ms"], seconds: [12_340, "12.3s"], minutes: [245_000, "4m05s"], hours: [7_380_000, "2h03m"] };
for (const [name, [ms, want]] of Object.entries(elapsed)) test(`formatElapsed: ${name}`, () => assert.equal(formatElapsed(ms), want));

test("firstLine skips blank lines and shortens", () => assert.equal(firstLine("\n  boom: no such file  \nmore", 10), "boom: no …"));
