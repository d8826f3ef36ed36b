import assert from "node:assert/strict";
import { test } from "node:test";
import { parseJob, type Job } from "../api/job.ts";
import { DispatchState, type TaskEntry } from "../dispatch/dispatch-state.ts";
import { jobStatus } from "./job-status.ts";

const now = new Date("2026-11-29T12:00:00Z");

/** The job's counts as the scheduler's state keeps them, from these tasks. */
function counts(tasks: TaskEntry[]) {
  const state = new DispatchState();
  for (const t of tasks) state.upsertTask(t);
  return state.countsOfJob("ns/j");
}

function job(spec: object = {}): Job {
  const parsed = parseJob({ apiVersion: "kubatch.dev/v1alpha1", kind: "Job", metadata: { name: "j", namespace: "ns", generation: 2 }, spec: { poolInfo: { poolId: "p" }, ...spec } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.value;
}

function task(name: string, state: TaskEntry["state"], result?: TaskEntry["result"]): TaskEntry {
  return { key: `ns/${name}`, namespace: "ns", name, jobKey: "ns/j", resourceVersion: "1", created: "", requiredSlots: 1, completed: state === "Completed", state, result, requeueCount: 0 };
}

test("jobStatus counts tasks and completes jobs as Azure Batch does", async (t) => {
  const cases: Record<string, { spec?: object; tasks: TaskEntry[]; poolExists?: boolean; state: string; counts: object; reason?: string; completedCondition: string }> = {
    "a job with no tasks stays active": { tasks: [], state: "Active", counts: { active: 0, running: 0, completed: 0, succeeded: 0, failed: 0 }, completedCondition: "False" },
    "counts by state and result": {
      tasks: [task("a", "Active"), task("b", "Running"), task("c", "Completed", "Success"), task("d", "Completed", "Failure")],
      state: "Active",
      counts: { active: 1, running: 1, completed: 2, succeeded: 1, failed: 1 },
      completedCondition: "False",
    },
    "NoAction keeps the job active when all tasks are done": { tasks: [task("a", "Completed", "Success")], state: "Active", counts: { active: 0, running: 0, completed: 1, succeeded: 1, failed: 0 }, completedCondition: "False" },
    "TerminateJob completes it": {
      spec: { onAllTasksComplete: "TerminateJob" },
      tasks: [task("a", "Completed", "Success"), task("b", "Completed", "Failure")],
      state: "Completed",
      counts: { active: 0, running: 0, completed: 2, succeeded: 1, failed: 1 },
      reason: "AllTasksComplete",
      completedCondition: "True",
    },
    "terminate completes it with the user's reason": { spec: { terminate: true, terminateReason: "Cancelled" }, tasks: [task("a", "Active")], state: "Completed", counts: { active: 1, running: 0, completed: 0, succeeded: 0, failed: 0 }, reason: "Cancelled", completedCondition: "True" },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const s = jobStatus({ job: job(tc.spec), counts: counts(tc.tasks), poolExists: tc.poolExists ?? true, now });
      assert.equal(s.state, tc.state);
      assert.deepEqual(s.taskCounts, tc.counts);
      assert.equal(s.executionInfo?.terminateReason, tc.reason);
      assert.equal(s.conditions?.find((c) => c.type === "Completed")?.status, tc.completedCondition);
      assert.equal(s.observedGeneration, 2);
    });
  }
});

test("a missing pool shows as PoolReady False naming the pool", () => {
  const s = jobStatus({ job: job(), counts: counts([]), poolExists: false, now });
  const c = s.conditions?.find((x) => x.type === "PoolReady");
  assert.equal(c?.status, "False");
  assert.equal(c?.reason, "PoolNotFound");
  assert.match(c?.message ?? "", /pool p does not exist/);
});
