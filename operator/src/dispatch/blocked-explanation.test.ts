import assert from "node:assert/strict";
import { test } from "node:test";
import type { Condition } from "../../../api/conditions.ts";
import { explanationsDue } from "./blocked-explanation.ts";
import type { BlockedTask, BlockReason, TaskEntry } from "./dispatch-state.ts";

const now = new Date("2026-11-29T12:00:00Z");
const earlier = "2026-11-29T11:00:00.000Z";

const schedulable = (reason: string, message: string, extra: Partial<Condition> = {}): Condition => ({ type: "Schedulable", status: "False", reason, message, observedGeneration: 1, lastTransitionTime: earlier, ...extra });

function blocked(name: string, reason: BlockReason, message: string, conditions?: Condition[]): BlockedTask {
  const task: TaskEntry = { key: `ns/${name}`, namespace: "ns", name, jobKey: "ns/j", resourceVersion: "1", created: "", requiredSlots: 1, completed: false, state: "Active", requeueCount: 0, generation: 1, conditions };
  return { task, reason, message };
}

const waiting = "waiting for its dependencies to complete: a";

test("explanationsDue writes only what the cached condition does not already say, a bounded number per pass", async (t) => {
  const cases: Record<string, { blocked: BlockedTask[]; limit?: number; want: { due: Record<string, Partial<Condition>[]>; more?: boolean } }> = {
    "never told: the condition, its transition now": {
      blocked: [blocked("t1", "DependenciesNotMet", waiting)],
      want: { due: { t1: [{ type: "Schedulable", status: "False", reason: "DependenciesNotMet", message: waiting, observedGeneration: 1, lastTransitionTime: now.toISOString() }] } },
    },
    "already told the same (an operator restart): nothing": {
      blocked: [blocked("t1", "DependenciesNotMet", waiting, [schedulable("DependenciesNotMet", waiting)])],
      want: { due: {} },
    },
    "a new reason while still False: written, its transition time kept": {
      blocked: [blocked("t1", "DependencyFailed", "blocked: dependency a did not succeed", [schedulable("DependenciesNotMet", waiting)])],
      want: { due: { t1: [{ reason: "DependencyFailed", lastTransitionTime: earlier }] } },
    },
    "the same reason, a new message: written, its transition time kept": {
      blocked: [blocked("t1", "DependencyMissing", "missing: b", [schedulable("DependencyMissing", "missing: a")])],
      want: { due: { t1: [{ message: "missing: b", lastTransitionTime: earlier }] } },
    },
    "a condition True before (it had been placed): False with a new transition time": {
      blocked: [blocked("t1", "DependenciesNotMet", waiting, [schedulable("PodCreated", "runs", { status: "True" })])],
      want: { due: { t1: [{ status: "False", reason: "DependenciesNotMet", lastTransitionTime: now.toISOString() }] } },
    },
    "a condition from an older generation: written for this one": {
      blocked: [blocked("t1", "DependenciesNotMet", waiting, [schedulable("DependenciesNotMet", waiting, { observedGeneration: 0 })])],
      want: { due: { t1: [{ observedGeneration: 1, lastTransitionTime: earlier }] } },
    },
    "a long message: cut to 1024 characters, and then equal to what is cached": {
      blocked: [blocked("t1", "DependencyMissing", "x".repeat(2000), [schedulable("DependencyMissing", "x".repeat(1024))]), blocked("t2", "DependencyMissing", "y".repeat(2000))],
      want: { due: { t2: [{ message: "y".repeat(1024) }] } },
    },
    "other conditions of the task are kept": {
      blocked: [blocked("t1", "DependenciesNotMet", waiting, [schedulable("Other", "o", { type: "Other", status: "True" })])],
      want: { due: { t1: [{ type: "Other", reason: "Other" }, { type: "Schedulable", reason: "DependenciesNotMet" }] } },
    },
    "more than the limit: the first ones, and more left for the next pass": {
      blocked: [blocked("t1", "DependenciesNotMet", waiting), blocked("t2", "DependenciesNotMet", waiting), blocked("t3", "DependenciesNotMet", waiting)],
      limit: 2,
      want: { due: { t1: [{ reason: "DependenciesNotMet" }], t2: [{ reason: "DependenciesNotMet" }] }, more: true },
    },
    "tasks already told do not count against the limit": {
      blocked: [blocked("t1", "DependenciesNotMet", waiting, [schedulable("DependenciesNotMet", waiting)]), blocked("t2", "DependenciesNotMet", waiting), blocked("t3", "DependenciesNotMet", waiting)],
      limit: 2,
      want: { due: { t2: [{ reason: "DependenciesNotMet" }], t3: [{ reason: "DependenciesNotMet" }] } },
    },
    "exactly the limit: nothing left over": {
      blocked: [blocked("t1", "DependenciesNotMet", waiting), blocked("t2", "DependenciesNotMet", waiting)],
      limit: 2,
      want: { due: { t1: [{ reason: "DependenciesNotMet" }], t2: [{ reason: "DependenciesNotMet" }] } },
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const { due, more } = explanationsDue(tc.blocked, now, tc.limit);
      assert.deepEqual(due.map((d) => d.task.name), Object.keys(tc.want.due));
      for (const d of due) assert.partialDeepStrictEqual(d.conditions, tc.want.due[d.task.name]!);
      for (const d of due) assert.equal(d.conditions.length, tc.want.due[d.task.name]!.length, `${d.task.name}: conditions`);
      assert.equal(more, tc.want.more ?? false);
    });
  }
});

test("explanationsDue stops at 100 a pass by default", () => {
  const many = Array.from({ length: 250 }, (_, i) => blocked(`t${i}`, "DependenciesNotMet", waiting));
  const { due, more } = explanationsDue(many, now);
  assert.equal(due.length, 100);
  assert.equal(due[99]!.task.name, "t99");
  assert.equal(more, true);
});
