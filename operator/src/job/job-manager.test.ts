import assert from "node:assert/strict";
import { test } from "node:test";
import { parseJob } from "../../../api/job.ts";
import { dedicatedNodeOnlyAnnotation } from "../../../api/labels.ts";
import { parseTask } from "../../../api/task.ts";
import { jobManagerTask, jobManagerTaskName } from "./job-manager.ts";

const owner = { apiVersion: "kubatch.dev/v1alpha1", kind: "Job", name: "render", uid: "u1", controller: true, blockOwnerDeletion: true };

function job(jobManagerTask?: object) {
  const parsed = parseJob({ apiVersion: "kubatch.dev/v1alpha1", kind: "Job", metadata: { name: "render", namespace: "ns" }, spec: { poolInfo: { poolId: "p" }, ...(jobManagerTask ? { jobManagerTask } : {}) } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.value;
}

test("jobManagerTaskName makes a Kubernetes name of the job and the Batch id", async (t) => {
  const cases: [string, string, string][] = [
    ["render", "manager", "render-manager"],
    ["render", "Job_Manager_", "render-job-manager"],
  ];
  for (const [j, id, want] of cases) await t.test(`${j}/${id}`, () => assert.equal(jobManagerTaskName(j, id), want));
});

test("jobManagerTask builds a valid Task owned by the job", async (t) => {
  const cases: Record<string, { jm?: object; slotsPerNode?: number; slots?: number; dedicatedOnly?: boolean }> = {
    "no job manager, no task": {},
    "runExclusive (default) takes a whole node": { jm: { id: "jm", commandLine: "/bin/true" }, slotsPerNode: 4, slots: 4 },
    "runExclusive without a known pool keeps requiredSlots": { jm: { id: "jm", commandLine: "/bin/true" }, slots: 1 },
    "not exclusive keeps requiredSlots": { jm: { id: "jm", commandLine: "/bin/true", runExclusive: false, requiredSlots: 2 }, slotsPerNode: 4, slots: 2 },
    "allowLowPriorityNode false: marked for dedicated nodes only": { jm: { id: "jm", commandLine: "/bin/true", allowLowPriorityNode: false }, slots: 1, dedicatedOnly: true },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, () => {
      const task = jobManagerTask(job(c.jm), owner, c.slotsPerNode);
      if (!c.jm) return assert.equal(task, undefined);
      assert.ok(task);
      const parsed = parseTask(task);
      assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problems));
      assert.equal(parsed.value.spec.jobName, "render");
      assert.equal(parsed.value.spec.id, "jm");
      assert.equal(parsed.value.spec.requiredSlots, c.slots);
      assert.deepEqual(parsed.value.metadata.ownerReferences, [owner]);
      assert.equal(task.metadata?.annotations?.[dedicatedNodeOnlyAnnotation], c.dedicatedOnly ? "true" : undefined);
    });
  }
});
