import assert from "node:assert/strict";
import { conditionSchema } from "../../../api/conditions.ts";
import { test } from "node:test";
import { parseJob, type Job } from "../../../api/job.ts";
import { DispatchState, type TaskEntry } from "../dispatch/dispatch-state.ts";
import { jobStatus, wallClockDeadline, type EndRequest } from "./job-status.ts";

const now = new Date("2026-11-29T12:00:00Z");

/** The job's counts as the scheduler's state keeps them, from these tasks. */
function counts(tasks: TaskEntry[]) {
  const state = new DispatchState();
  for (const t of tasks) state.upsertTask(t);
  return state.countsOfJob("ns/j");
}

function job(spec: object = {}, status?: object): Job {
  const parsed = parseJob({
    apiVersion: "kubatch.dev/v1alpha1",
    kind: "Job",
    metadata: { name: "j", namespace: "ns", generation: 2, creationTimestamp: "2026-11-29T11:00:00Z" },
    spec: { poolInfo: { poolId: "p" }, ...spec },
    ...(status ? { status } : {}),
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.value;
}

function task(name: string, state: TaskEntry["state"], result?: TaskEntry["result"], node?: string): TaskEntry {
  return { key: `ns/${name}`, namespace: "ns", name, jobKey: "ns/j", resourceVersion: "1", created: "", requiredSlots: 1, completed: state === "Completed", state, result, requeueCount: 0, node };
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

test("job states follow Azure Batch: terminating, disabling, enabling", async (t) => {
  const running = task("r", "Running", undefined, "n1");
  const done = task("d", "Completed", "Success", "n1");
  const was = (state: string, terminateReason?: string) => ({ state, executionInfo: { startTime: "2026-11-29T11:00:00Z", ...(terminateReason ? { terminateReason } : {}) } });
  type Case = { spec?: object; status?: object; tasks: TaskEntry[]; endRequest?: EndRequest; state: string; reason?: string; conditionReason?: string };
  const cases: Record<string, Case> = {
    "terminate with a task in flight: Terminating": { spec: { terminate: true }, tasks: [running], state: "Terminating", reason: "UserTerminate" },
    "terminate with nothing in flight: Completed": { spec: { terminate: true }, tasks: [done, task("a", "Active")], state: "Completed", reason: "UserTerminate" },
    "a terminating job completes once its tasks ended, keeping its reason": { status: was("Terminating", "TaskFailed"), tasks: [done], state: "Completed", reason: "TaskFailed" },
    "maxWallClockTime ran out (PT30M from 11:00 at 12:00)": { spec: { constraints: { maxWallClockTime: "PT30M" } }, tasks: [running], state: "Terminating", reason: "MaxWallClockTimeExpiry" },
    "maxWallClockTime not yet (PT2H)": { spec: { constraints: { maxWallClockTime: "PT2H" } }, tasks: [running], state: "Active" },
    "a task's jobAction Terminate": { tasks: [done], endRequest: { reason: "TaskFailed", detail: "task x exited with code 3" }, state: "Completed", reason: "TaskFailed" },
    "the job manager completed": { tasks: [running], endRequest: { reason: "JMComplete", detail: "job manager task jm completed" }, state: "Terminating", reason: "JMComplete" },
    "the user's terminate wins over a task's action": { spec: { terminate: true, terminateReason: "Stop" }, tasks: [done], endRequest: { reason: "TaskFailed", detail: "" }, state: "Completed", reason: "Stop" },
    "disabled with a task in flight: Disabling": { spec: { disabled: true }, tasks: [running], state: "Disabling" },
    "disabled with nothing in flight: Disabled": { spec: { disabled: true }, tasks: [done], state: "Disabled" },
    "enabled after Disabled: Enabling": { status: was("Disabled"), tasks: [done], state: "Enabling" },
    "Enabling becomes Active": { status: was("Enabling"), tasks: [done], state: "Active" },
    // The status write would be refused (422) with free text as a condition reason: the job would stay Terminating.
    "a free-text terminateReason: kept in executionInfo and the message, the condition's reason UserTerminate": {
      spec: { terminate: true, terminateReason: "user says stop — ✋ «ünïcode»" },
      tasks: [done],
      state: "Completed",
      reason: "user says stop — ✋ «ünïcode»",
      conditionReason: "UserTerminate",
    },
    "Completed is final": { spec: { disabled: true }, status: was("Completed", "UserTerminate"), tasks: [running], state: "Completed", reason: "UserTerminate" },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const s = jobStatus({ job: job(tc.spec, tc.status), counts: counts(tc.tasks), poolExists: true, now, endRequest: tc.endRequest });
      assert.equal(s.state, tc.state);
      assert.equal(s.executionInfo?.terminateReason, tc.reason);
      if (tc.state === "Terminating") assert.match(s.conditions?.find((c) => c.type === "Completed")?.message ?? "", /terminating: /);
      if (tc.conditionReason) {
        const completed = s.conditions?.find((c) => c.type === "Completed");
        assert.equal(completed?.reason, tc.conditionReason);
        assert.ok(completed?.message.includes(tc.reason!), completed?.message);
        for (const c of s.conditions ?? []) assert.ok(conditionSchema.safeParse(c).success, `${c.type}: ${JSON.stringify(c)}`);
      }
    });
  }
});

test("wallClockDeadline counts from the job's start", () => {
  assert.equal(wallClockDeadline(job({ constraints: { maxWallClockTime: "PT10M" } })), Date.parse("2026-11-29T11:10:00Z"));
  assert.equal(wallClockDeadline(job()), undefined);
});
