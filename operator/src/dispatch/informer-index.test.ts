// The scheduler's index of jobs and tasks: a task owned by another job of the same name (the
// one deleted, its tasks not yet garbage-collected) is not the current job's.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { JobObject, TaskObject } from "../../../kube/objects.ts";
import { DispatchState } from "./dispatch-state.ts";
import { indexJob, indexTask } from "./informer-index.ts";
import type { TaskValidation } from "./task-validation.ts";

const valid: TaskValidation = { invalid: () => false, forget: () => undefined };
const jobObj = (uid: string) => ({ apiVersion: "kubatch.dev/v1alpha1", kind: "Job", metadata: { name: "j", namespace: "ns", uid, creationTimestamp: new Date() }, spec: { poolInfo: { poolId: "p" } } }) as unknown as JobObject;
const taskObj = (name: string, owner?: string) =>
  ({
    apiVersion: "kubatch.dev/v1alpha1",
    kind: "Task",
    metadata: { name, namespace: "ns", uid: `uid-${name}`, resourceVersion: "1", ...(owner ? { ownerReferences: [{ apiVersion: "kubatch.dev/v1alpha1", kind: "Job", name: "j", uid: owner, controller: true }] } : {}) },
    spec: { jobName: "j", commandLine: "true" },
  }) as unknown as TaskObject;

test("a task owned by a job uid other than the cached job's is not that job's", async (t) => {
  const cases: Record<string, { order: ("job" | "old" | "new" | "unowned")[]; want: string[] }> = {
    "the job first, then its tasks and an old job's": { order: ["job", "old", "new", "unowned"], want: ["new", "unowned"] },
    "the old job's task first, then the job created again": { order: ["old", "new", "unowned", "job"], want: ["new", "unowned"] },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const state = new DispatchState();
      for (const step of tc.order) {
        if (step === "job") indexJob(state, "add", jobObj("uid-2"));
        else indexTask(state, "add", taskObj(step, step === "old" ? "uid-1" : step === "new" ? "uid-2" : undefined), valid);
      }
      assert.deepEqual(state.tasksOfJob("ns/j").map((e) => e.name).sort(), tc.want);
      assert.equal(state.countsOfJob("ns/j").total, tc.want.length, "only its own tasks are counted");
    });
  }
});
