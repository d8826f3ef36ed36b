import assert from "node:assert/strict";
import { test } from "node:test";
import { parseWorkItem, type WorkItem } from "../../../api/work-item.ts";
import { jobIndex, jobName, madeJobs, planSchedule, type OwnedJob, type RecentJob } from "./schedule.ts";

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

test("madeJobs: the job the status records counts as made, also once it is deleted", async (t) => {
  const recorded = (index: number, createdS?: number): RecentJob => ({ name: jobName("nightly", index), creationTime: createdS === undefined ? undefined : at(createdS).toISOString() });
  const cases: Record<string, { cached: OwnedJob[]; recent?: RecentJob; now: number; want: { jobs: OwnedJob[]; recheckAfterMs?: number } }> = {
    "nothing recorded: the cached jobs": { cached: [job(1, 0, true)], now: 100, want: { jobs: [job(1, 0, true)] } },
    "the recorded job is cached: the cached jobs": { cached: [job(1, 0, true), job(2, 60)], recent: recorded(2, 60), now: 100, want: { jobs: [job(1, 0, true), job(2, 60)] } },
    "the recorded job was deleted: it counts as completed, created when it was": { cached: [job(1, 0, true)], recent: recorded(2, 60), now: 100, want: { jobs: [job(1, 0, true), job(2, 60, true)] } },
    "the recorded job is older than a cached one (its status write failed): the cached jobs": { cached: [job(3, 120)], recent: recorded(2, 60), now: 150, want: { jobs: [job(3, 120)] } },
    "made 10 s ago, not cached yet: active until the cache lag is over": { cached: [], recent: recorded(1, 90), now: 100, want: { jobs: [job(1, 90)], recheckAfterMs: 20_000 } },
    "made 30 s ago and still not cached: deleted": { cached: [], recent: recorded(1, 70), now: 100, want: { jobs: [job(1, 70, true)] } },
    "recorded without a creation time (an older operator): deleted, created at an unknown time": {
      cached: [], recent: recorded(4), now: 100, want: { jobs: [{ name: jobName("nightly", 4), index: 4, completed: true, created: 0 }] },
    },
    "a name that is not one of its jobs: ignored": { cached: [], recent: { name: "other-job-0000000001" }, now: 100, want: { jobs: [] } },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const made = madeJobs("nightly", tc.cached, tc.recent, at(tc.now));
      assert.deepEqual(made.jobs, tc.want.jobs);
      assert.equal(made.recheckAfterMs, tc.want.recheckAfterMs);
    });
  }
});

test("planSchedule never makes again a job the status recorded and that was then deleted", async (t) => {
  const cases: Record<string, { schedule?: object; recent: RecentJob; now: number; create?: number; state: string }> = {
    "no schedule: its one job ran and was deleted: Completed": { recent: { name: jobName("nightly", 1), creationTime: at(0).toISOString() }, now: 3600, state: "Completed" },
    "recurrence: this slot's job was deleted: wait for the next": { schedule: { recurrenceInterval: "PT1H" }, recent: { name: jobName("nightly", 5), creationTime: at(4 * 3600 + 10).toISOString() }, now: 4 * 3600 + 600, state: "Active" },
    "recurrence: the next slot goes on from its number": { schedule: { recurrenceInterval: "PT1H" }, recent: { name: jobName("nightly", 5), creationTime: at(4 * 3600 + 10).toISOString() }, now: 5 * 3600 + 5, create: 6, state: "Active" },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const plan = planSchedule(wi(tc.schedule), madeJobs("nightly", [], tc.recent, at(tc.now)).jobs, at(tc.now));
      assert.equal(plan.create, tc.create);
      assert.equal(plan.state, tc.state);
    });
  }
});
