import assert from "node:assert/strict";
import { test } from "node:test";
import type { JobObject, PoolObject, WorkItemObject } from "../kube/objects.ts";
import { jobRow, nodeRows, poolRow, workItemRow } from "./resource-lists.ts";

const now = Date.parse("2026-12-07T02:00:00Z");
const created = new Date(now - 90_000);

test("jobRow: state (Active before the first status), pool, priority, counts, age", async (t) => {
  const cases: Record<string, { job: object; want: object }> = {
    "a new job": {
      job: { metadata: { name: "j", creationTimestamp: created }, spec: { poolInfo: { poolId: "p" } } },
      want: { name: "j", state: "Active", pool: "p", priority: 0, active: 0, running: 0, succeeded: 0, failed: 0, age: "1m30s" },
    },
    "a job with counts": {
      job: { metadata: { name: "j" }, spec: { poolInfo: { poolId: "p" }, priority: 5 }, status: { state: "Completed", executionInfo: { poolId: "p" }, taskCounts: { active: 1, running: 2, completed: 7, succeeded: 6, failed: 1 } } },
      want: { name: "j", state: "Completed", pool: "p", priority: 5, active: 1, running: 2, succeeded: 6, failed: 1, age: "" },
    },
  };
  for (const [name, c] of Object.entries(cases)) await t.test(name, () => assert.deepEqual(jobRow(c.job as JobObject, now), c.want));
});

test("poolRow and nodeRows: nodes now/targeted, idle and running; each node's tasks and start task", () => {
  const pool = {
    metadata: { name: "p", creationTimestamp: created },
    spec: { taskSlotsPerNode: 4 },
    status: {
      allocationState: "Resizing",
      currentDedicatedNodes: 1,
      targetDedicatedNodes: 3,
      nodeCounts: { idle: 0, running: 1 },
      nodes: [
        { name: "p-dedicated-b10", state: "Running", isDedicated: true, runningTasks: 2, runningTaskSlots: 2, totalTasksRun: 40, totalTasksSucceeded: 38, startTaskInfo: { state: "Completed", result: "Success" } },
        { name: "p-dedicated-b9", state: "Starting", isDedicated: true },
      ],
    },
  } as unknown as PoolObject;
  assert.deepEqual(poolRow(pool, now), { name: "p", state: "Resizing", dedicated: "1/3", lowPriority: "0/0", idle: 0, running: 1, slotsPerNode: 4, age: "1m30s" });
  assert.deepEqual(nodeRows(pool), [
    { name: "p-dedicated-b9", state: "Starting", scheduling: "Enabled", dedicated: true, runningTasks: 0, runningTaskSlots: 0, totalTasksRun: 0, totalTasksSucceeded: 0, startTask: "" },
    { name: "p-dedicated-b10", state: "Running", scheduling: "Enabled", dedicated: true, runningTasks: 2, runningTaskSlots: 2, totalTasksRun: 40, totalTasksSucceeded: 38, startTask: "Completed (Success)" },
  ]);
});

test("workItemRow: state (Active before the first status), next run, recent job, age", async (t) => {
  const cases: Record<string, { wi: object; want: object }> = {
    "a new work item": { wi: { metadata: { name: "w", creationTimestamp: created } }, want: { name: "w", state: "Active", nextRun: "", recentJob: "", age: "1m30s" } },
    "a disabled one with a recent job": {
      wi: { metadata: { name: "w" }, status: { state: "Disabled", executionInfo: { nextRunTime: "2026-12-07T03:00:00Z", recentJob: { name: "w-job-0000000002" } } } },
      want: { name: "w", state: "Disabled", nextRun: "2026-12-07T03:00:00Z", recentJob: "w-job-0000000002", age: "" },
    },
  };
  for (const [name, c] of Object.entries(cases)) await t.test(name, () => assert.deepEqual(workItemRow(c.wi as WorkItemObject, now), c.want));
});
