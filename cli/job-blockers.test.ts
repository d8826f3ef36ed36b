import assert from "node:assert/strict";
import { test } from "node:test";
import type { JobObject } from "../kube/objects.ts";
import { jobBlockers } from "./job-blockers.ts";
import type { TaskSummary } from "./task-watch.ts";

test("jobBlockers names what keeps the job's tasks from completing", async (t) => {
  const job = (status: object) => ({ metadata: { name: "j" }, spec: { poolInfo: { poolId: "p" } }, status }) as unknown as JobObject;
  const cases: Record<string, { job?: JobObject; tasks?: TaskSummary[]; want: string[] }> = {
    "nothing blocks (tasks just take time)": {
      job: job({ state: "Active", conditions: [{ type: "PoolReady", status: "True" }, { type: "AllTasksComplete", status: "False", reason: "TasksPending" }] }),
      tasks: [{ outcome: "running" }, { outcome: "active" }],
      want: [],
    },
    "its pool is missing": {
      job: job({ state: "Active", conditions: [{ type: "PoolReady", status: "False", reason: "PoolNotFound", message: "pool p does not exist" }] }),
      want: ["job: PoolReady=False PoolNotFound: pool p does not exist"],
    },
    "disabled": { job: job({ state: "Disabled" }), want: ["job: Disabled (spec.disabled): no task starts until it is enabled (kubatch job enable)"] },
    "tasks waiting for reasons, the most frequent first": {
      job: job({ state: "Active" }),
      tasks: [{ outcome: "active", waiting: "JobPreparationTaskFailed" }, { outcome: "active", waiting: "DependenciesNotMet" }, { outcome: "active", waiting: "DependenciesNotMet" }, { outcome: "active" }, { outcome: "succeeded" }],
      want: ["tasks: 4 active, waiting for: DependenciesNotMet (2), JobPreparationTaskFailed (1) (kubectl get ktask shows each one's reason under WAITING)"],
    },
    "no job read": { want: [] },
  };
  for (const [name, c] of Object.entries(cases)) await t.test(name, () => assert.deepEqual(jobBlockers(c.job, c.tasks ?? []), c.want));
});
