import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { JobObject, TaskCollectionObject, TaskObject } from "../kube/objects.ts";
import { describeStatistics, durations, jobStatistics } from "./job-statistics.ts";

const T0 = Date.parse("2026-12-07T10:00:00Z");
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

const job = (o: { ended?: number; state?: string } = {}): JobObject =>
  ({
    metadata: { name: "j", creationTimestamp: iso(0) },
    spec: { poolInfo: { poolId: "p" } },
    status: { state: o.state ?? "Active", ...(o.ended !== undefined ? { executionInfo: { endTime: iso(o.ended) } } : {}) },
  }) as unknown as JobObject;

const task = (o: { made: number; start?: number; end?: number; state?: string; result?: string; retries?: number }): TaskObject =>
  ({
    metadata: { name: `t${o.made}`, creationTimestamp: iso(o.made) },
    spec: { jobName: "j", commandLine: "true" },
    status: {
      state: o.state ?? "Completed",
      executionInfo: {
        ...(o.start !== undefined ? { startTime: iso(o.start) } : {}),
        ...(o.end !== undefined ? { endTime: iso(o.end) } : {}),
        ...(o.result ? { result: o.result } : {}),
        retryCount: o.retries ?? 0,
      },
    },
  }) as unknown as TaskObject;

describe("durations", () => {
  const cases: { name: string; ms: number[]; want?: { count: number; total: number; mean: number; p50: number; p95: number; max: number } }[] = [
    { name: "none", ms: [] },
    { name: "one", ms: [2000], want: { count: 1, total: 2, mean: 2, p50: 2, p95: 2, max: 2 } },
    { name: "twenty, unsorted", ms: Array.from({ length: 20 }, (_, i) => (20 - i) * 1000), want: { count: 20, total: 210, mean: 10.5, p50: 10, p95: 19, max: 20 } },
    { name: "a negative (clock skew) counts as 0", ms: [-500, 1000], want: { count: 2, total: 1, mean: 0.5, p50: 0, p95: 1, max: 1 } },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const d = durations(c.ms);
      if (!c.want) return assert.equal(d, undefined);
      assert.deepEqual(d, { count: c.want.count, totalSeconds: c.want.total, meanSeconds: c.want.mean, p50Seconds: c.want.p50, p95Seconds: c.want.p95, maxSeconds: c.want.max });
    });
  }
});

describe("jobStatistics", () => {
  const now = T0 + 100_000;
  const cases: { name: string; job: JobObject; tasks: TaskObject[]; collections?: TaskCollectionObject[]; want: Record<string, unknown> }[] = [
    {
      name: "a completed job: wall clock to its end, waits to the last start, runs to the end",
      job: job({ state: "Completed", ended: 60 }),
      tasks: [task({ made: 0, start: 5, end: 15, result: "Success" }), task({ made: 0, start: 10, end: 40, result: "Failure", retries: 2 })],
      want: { wallClockSeconds: 60, tasks: { total: 2, active: 0, running: 0, completed: 2, succeeded: 1, failed: 1, retries: 2 }, waitTotal: 15, runTotal: 40 },
    },
    {
      name: "an active job: wall clock so far; a running task's run and an active one's wait count to now",
      job: job(),
      tasks: [task({ made: 0, start: 40, state: "Running" }), task({ made: 50, state: "Active" })],
      want: { wallClockSeconds: 100, tasks: { total: 2, active: 1, running: 1, completed: 0, succeeded: 0, failed: 0, retries: 0 }, waitTotal: 90, runTotal: 60 },
    },
    {
      name: "a task completed without starting (its job terminated) has neither wait nor run",
      job: job({ state: "Completed", ended: 10 }),
      tasks: [task({ made: 0, end: 10, result: "Failure" })],
      want: { wallClockSeconds: 10, tasks: { total: 1, active: 0, running: 0, completed: 1, succeeded: 0, failed: 1, retries: 0 }, waitTotal: undefined, runTotal: undefined },
    },
    {
      name: "collection items are counted",
      job: job(),
      tasks: [],
      collections: [{ status: { itemCount: 1000, counts: { active: 10, running: 4, succeeded: 980, failed: 6 } } } as unknown as TaskCollectionObject],
      want: { wallClockSeconds: 100, tasks: { total: 0, active: 0, running: 0, completed: 0, succeeded: 0, failed: 0, retries: 0 }, waitTotal: undefined, runTotal: undefined, items: { total: 1000, active: 10, running: 4, succeeded: 980, failed: 6 } },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const s = jobStatistics(c.job, c.tasks, c.collections ?? [], now);
      const got: Record<string, unknown> = { wallClockSeconds: s.wallClockSeconds, tasks: s.tasks, waitTotal: s.wait?.totalSeconds, runTotal: s.run?.totalSeconds };
      if (c.want.items) got.items = s.collectionItems;
      assert.deepEqual(got, c.want);
    });
  }

  test("the text names the wall clock, counts, retries and the wait and run rows", () => {
    const text = describeStatistics(jobStatistics(job({ state: "Completed", ended: 60 }), [task({ made: 0, start: 5, end: 15, result: "Success", retries: 1 })], [], now));
    assert.match(text, /^Wall clock: 1m00s$/m);
    assert.match(text, /1 completed \(1 succeeded, 0 failed\); 1 retries/);
    assert.match(text, /^\s+wait\s+1\s+5\.0s/m);
    assert.match(text, /^\s+run\s+1\s+10\.0s/m);
  });
});
