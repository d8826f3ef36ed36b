import assert from "node:assert/strict";
import { test } from "node:test";
import type { JobStatus } from "../../../api/job.ts";
import { DispatchState, type TaskEntry } from "../dispatch/dispatch-state.ts";
import { retentionPlan, type RetentionPlan } from "./task-retention.ts";

const entry = (name: string, extra: Partial<TaskEntry> = {}): TaskEntry => ({
  key: `ns/${name}`,
  uid: `uid-${name}`,
  namespace: "ns",
  name,
  jobKey: "ns/j",
  resourceVersion: "1",
  created: "2026-12-01T00:00:00Z",
  requiredSlots: 1,
  completed: true,
  state: "Completed",
  result: "Success",
  requeueCount: 0,
  ...extra,
});

test("retentionPlan: a batch is counted and named before it is deleted, and counted once whatever is cached", () => {
  const cases: Record<string, {
    previous?: JobStatus;
    cached: TaskEntry[];
    candidates?: string[];
    want: Partial<Omit<RetentionPlan, "counts">> & { counts: { succeeded: number; failed: number; active: number; total: number } };
  }> = {
    "nothing due: the counts as cached, no fields": {
      cached: [entry("a"), entry("b", { completed: false, state: "Active", result: undefined })],
      want: { counts: { succeeded: 1, failed: 0, active: 1, total: 2 }, toDelete: [], changesBatch: false, deletedTaskCounts: undefined, retiringTasks: undefined },
    },
    "a new batch: counted in deletedTaskCounts, left out of the cached counts, named, deleted": {
      cached: [entry("a"), entry("b", { result: "Failure" }), entry("c")],
      candidates: ["a", "b"],
      want: {
        counts: { succeeded: 2, failed: 1, active: 0, total: 3 },
        deletedTaskCounts: { succeeded: 1, failed: 1 },
        retiringTasks: [{ name: "a", uid: "uid-a" }, { name: "b", uid: "uid-b" }],
        toDelete: [{ name: "a", uid: "uid-a" }, { name: "b", uid: "uid-b" }],
        changesBatch: true,
      },
    },
    "after a crash before the deletes: still cached, not counted twice, deleted again, no new batch": {
      previous: { deletedTaskCounts: { succeeded: 1, failed: 1 }, retiringTasks: [{ name: "a", uid: "uid-a" }, { name: "b", uid: "uid-b" }] },
      cached: [entry("a"), entry("b", { result: "Failure" }), entry("c")],
      candidates: ["a", "b", "c"],
      want: {
        counts: { succeeded: 2, failed: 1, active: 0, total: 3 },
        deletedTaskCounts: { succeeded: 1, failed: 1 },
        retiringTasks: [{ name: "a", uid: "uid-a" }, { name: "b", uid: "uid-b" }],
        toDelete: [{ name: "a", uid: "uid-a" }, { name: "b", uid: "uid-b" }],
        changesBatch: false,
      },
    },
    "one of the batch still cached: only it is deleted again": {
      previous: { deletedTaskCounts: { succeeded: 2, failed: 0 }, retiringTasks: [{ name: "a", uid: "uid-a" }, { name: "b", uid: "uid-b" }] },
      cached: [entry("b"), entry("c")],
      want: { counts: { succeeded: 3, failed: 0, active: 0, total: 3 }, toDelete: [{ name: "b", uid: "uid-b" }], changesBatch: false },
    },
    "the batch gone: cleared (an empty list, as a merge patch keeps an absent field)": {
      previous: { deletedTaskCounts: { succeeded: 2, failed: 0 }, retiringTasks: [{ name: "a", uid: "uid-a" }, { name: "b", uid: "uid-b" }] },
      cached: [entry("c")],
      want: { counts: { succeeded: 3, failed: 0, active: 0, total: 3 }, retiringTasks: [], deletedTaskCounts: { succeeded: 2, failed: 0 }, toDelete: [], changesBatch: true },
    },
    "the batch gone and the next one due: one write clears and names it": {
      previous: { deletedTaskCounts: { succeeded: 2, failed: 0 }, retiringTasks: [{ name: "a", uid: "uid-a" }] },
      cached: [entry("c", { result: "Failure" })],
      candidates: ["c"],
      want: { counts: { succeeded: 2, failed: 1, active: 0, total: 3 }, retiringTasks: [{ name: "c", uid: "uid-c" }], deletedTaskCounts: { succeeded: 2, failed: 1 }, changesBatch: true },
    },
    "a new task under a retired one's name is another task: counted": {
      previous: { deletedTaskCounts: { succeeded: 1, failed: 0 }, retiringTasks: [{ name: "a", uid: "uid-a" }] },
      cached: [entry("a", { uid: "uid-a2", completed: false, state: "Active", result: undefined })],
      want: { counts: { succeeded: 1, failed: 0, active: 1, total: 2 }, retiringTasks: [], toDelete: [] },
    },
    "nothing left and nothing due after the last batch: no change to write": {
      previous: { deletedTaskCounts: { succeeded: 4, failed: 0 }, retiringTasks: [] },
      cached: [],
      want: { counts: { succeeded: 4, failed: 0, active: 0, total: 4 }, retiringTasks: [], toDelete: [], changesBatch: false },
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    const state = new DispatchState();
    for (const e of c.cached) state.upsertTask(e);
    const plan = retentionPlan({
      previous: c.previous,
      counts: state.countsOfJob("ns/j"),
      cached: (n) => state.tasks.get(`ns/${n}`),
      candidates: (c.candidates ?? []).map((n) => state.tasks.get(`ns/${n}`)!),
    });
    const { counts, ...rest } = c.want;
    assert.deepEqual({ succeeded: plan.counts.succeeded, failed: plan.counts.failed, active: plan.counts.active, total: plan.counts.total }, counts, `${name}: counts`);
    for (const [k, v] of Object.entries(rest)) assert.deepEqual(plan[k as keyof RetentionPlan], v, `${name}: ${k}`);
  }
});

test("retirementCandidates: due completed tasks, not those a waiting task depends on or whose job action is pending", () => {
  const now = Date.parse("2026-12-02T00:00:00Z");
  const cases: Record<string, { tasks: TaskEntry[]; limit?: number; jobActionsPending?: boolean; want: string[]; next?: number }> = {
    "none due yet: none, and when the first is": {
      tasks: [entry("a", { retireAt: now + 5_000 }), entry("b", { retireAt: now + 1_000 })],
      want: [],
      next: now + 1_000,
    },
    "due ones, up to the limit": {
      tasks: [entry("a", { retireAt: now - 1 }), entry("b", { retireAt: now }), entry("c", { retireAt: now + 1 }), entry("d", { retireAt: now - 5 })],
      limit: 2,
      want: ["a", "b"],
      next: now - 5,
    },
    "not completed or without retireAt: never": {
      tasks: [entry("a", { completed: false, state: "Running", retireAt: now - 1 }), entry("b")],
      want: [],
    },
    "a pending task depends on it by id or range: kept": {
      tasks: [
        entry("1", { retireAt: now - 1 }),
        entry("2", { retireAt: now - 1 }),
        entry("x", { retireAt: now - 1 }),
        entry("y", { retireAt: now - 1 }),
        entry("w", { completed: false, state: "Active", result: undefined, dependsOn: { taskIds: ["x"], taskIdRanges: [{ start: 2, end: 9 }] } }),
      ],
      want: ["1", "y"],
    },
    "a job action not yet applied while the job applies them: kept": {
      tasks: [entry("a", { retireAt: now - 1, jobAction: "Terminate" }), entry("b", { retireAt: now - 1, jobAction: "None" })],
      jobActionsPending: true,
      want: ["b"],
    },
    "a job action the job does not apply (not PerformExitOptionsJobAction, or ended): deleted": {
      tasks: [entry("a", { retireAt: now - 1, result: "Failure", jobAction: "Terminate" })],
      want: ["a"],
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    const state = new DispatchState();
    for (const t of c.tasks) state.upsertTask(t);
    assert.deepEqual(state.retirementCandidates("ns/j", now, c.limit ?? 500, c.jobActionsPending).map((t) => t.name), c.want, name);
    if ("next" in c) assert.equal(state.nextRetirement("ns/j"), c.next, `${name}: next`);
  }
});

test("nextRetirement follows the earliest task as tasks come and go", () => {
  const state = new DispatchState();
  state.upsertTask(entry("a", { retireAt: 30 }));
  state.upsertTask(entry("b", { retireAt: 10 }));
  assert.equal(state.nextRetirement("ns/j"), 10);
  state.upsertTask(entry("c", { retireAt: 5 }));
  assert.equal(state.nextRetirement("ns/j"), 5);
  state.deleteTask("ns/c");
  assert.equal(state.nextRetirement("ns/j"), 10);
  // Reactivated: no longer completed, no longer due.
  state.upsertTask(entry("b", { completed: false, state: "Active", retireAt: undefined }));
  assert.equal(state.nextRetirement("ns/j"), 30);
  state.deleteTask("ns/a");
  assert.equal(state.nextRetirement("ns/j"), undefined);
});
