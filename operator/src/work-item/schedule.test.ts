import assert from "node:assert/strict";
import { test } from "node:test";
import { parseWorkItem, type WorkItem } from "../../../api/work-item.ts";
import { jobIndex, jobName, planSchedule, type OwnedJob } from "./schedule.ts";

const t0 = Date.parse("2026-11-29T10:00:00Z");
const at = (s: number) => new Date(t0 + s * 1000);

function wi(schedule?: object): WorkItem {
  const parsed = parseWorkItem({
    apiVersion: "kubatch.dev/v1alpha1",
    kind: "WorkItem",
    metadata: { name: "nightly", namespace: "ns", creationTimestamp: new Date(t0).toISOString() },
    spec: { schedule, jobSpecification: { poolInfo: { poolId: "p" } } },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.value;
}

const job = (index: number, createdS: number, completed = false): OwnedJob => ({ name: jobName("nightly", index), index, completed, created: t0 + createdS * 1000 });

test("job names and indexes", () => {
  assert.equal(jobName("nightly", 1), "nightly-job-0000000001");
  assert.equal(jobIndex("nightly", "nightly-job-0000000042"), 42);
  assert.equal(jobIndex("nightly", "other-job-0000000001"), undefined);
  assert.equal(jobIndex("nightly", "nightly-job-1"), undefined);
});

test("planSchedule follows Azure Batch job schedules", async (t) => {
  const cases: Record<string, { schedule?: object; jobs: OwnedJob[]; now: number; create?: number; state: string; skipped?: boolean; nextRunTime?: string }> = {
    "no schedule: one job at once": { jobs: [], now: 0, create: 1, state: "Active" },
    "no schedule: its job runs": { jobs: [job(1, 0)], now: 5, state: "Active" },
    "no schedule: done when its job completes": { jobs: [job(1, 0, true)], now: 5, state: "Completed" },
    "doNotRunUntil in the future waits": { schedule: { doNotRunUntil: at(60).toISOString() }, jobs: [], now: 0, state: "Active", nextRunTime: at(60).toISOString() },
    "recurrence: first run at the start": { schedule: { recurrenceInterval: "PT1M" }, jobs: [], now: 1, create: 1, state: "Active", nextRunTime: at(60).toISOString() },
    "recurrence: this slot already ran": { schedule: { recurrenceInterval: "PT1M" }, jobs: [job(1, 1, true)], now: 30, state: "Active" },
    "recurrence: the next slot creates the next job": { schedule: { recurrenceInterval: "PT1M" }, jobs: [job(1, 1, true)], now: 61, create: 2, state: "Active" },
    "recurrence: one active job at a time": { schedule: { recurrenceInterval: "PT1M" }, jobs: [job(1, 1)], now: 61, state: "Active" },
    "recurrence: a missed start window is skipped": { schedule: { recurrenceInterval: "PT1M", startWindow: "PT10S" }, jobs: [job(1, 1, true)], now: 75, state: "Active", skipped: true },
    "an unlimited recurrence (Azure's TimeSpan.MaxValue) is one job": {
      schedule: { recurrenceInterval: "P10675199DT2H48M5.4775807S" }, jobs: [job(1, 0, true)], now: 5, state: "Completed",
    },
    "a 30-day recurrence says when it comes next": { schedule: { recurrenceInterval: "P30D" }, jobs: [job(1, 1, true)], now: 5, state: "Active", nextRunTime: at(30 * 86_400).toISOString() },
    "doNotRunAfter ends the schedule": { schedule: { recurrenceInterval: "PT1M", doNotRunAfter: at(90).toISOString() }, jobs: [job(1, 1, true), job(2, 61, true)], now: 125, state: "Completed" },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const plan = planSchedule(wi(tc.schedule), tc.jobs, at(tc.now));
      assert.equal(plan.create, tc.create);
      assert.equal(plan.state, tc.state);
      assert.equal(plan.skippedRun !== undefined, tc.skipped ?? false);
      if (tc.nextRunTime) assert.equal(plan.nextRunTime, tc.nextRunTime);
    });
  }
});
