import assert from "node:assert/strict";
import { test } from "node:test";
import type { Condition } from "../../../api/conditions.ts";
import type { TaskObject } from "../../../kube/objects.ts";
import { assertEvents, assertWrites, fakeApi, FakeClock, type Failure, type WantWrite } from "../controller/reconcile-harness.ts";
import { makeTaskValidation } from "./task-validation.ts";

const t0 = "2026-11-29T12:00:00.000Z";
const earlier = "2026-11-29T11:00:00.000Z";
const problems = "spec.jobName: jobName is required (or its alias jobId)";

function task(opts: { valid?: boolean; generation?: number; conditions?: Condition[]; resourceVersion?: string } = {}): TaskObject {
  return {
    apiVersion: "kubatch.dev/v1alpha1",
    kind: "Task",
    metadata: { name: "t", namespace: "ns", uid: "uid-t", generation: opts.generation ?? 1, resourceVersion: opts.resourceVersion ?? "5" },
    spec: opts.valid ? { jobName: "j", commandLine: "true" } : { commandLine: "true" },
    status: { state: "Active", conditions: opts.conditions },
  } as TaskObject;
}

const told = (extra: Partial<Condition> = {}): Condition => ({ type: "Schedulable", status: "False", reason: "InvalidSpec", message: problems, observedGeneration: 1, lastTransitionTime: earlier, ...extra });
const written = (condition: Partial<Condition>, resourceVersion = "5"): WantWrite => ({
  verb: "patchStatus",
  kind: "Task",
  name: "t",
  body: { metadata: { resourceVersion }, status: { state: "Active", conditions: [{ type: "Schedulable", status: "False", reason: "InvalidSpec", ...condition }] } },
});

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

test("task validation: an invalid task is never scheduled, and told so only when its cached condition says otherwise", async (t) => {
  const cases: Record<string, { events: TaskObject[]; failures?: Failure[]; want: { invalid: boolean[]; writes: WantWrite[]; events?: string[]; logs?: RegExp[] } }> = {
    "a valid task: schedulable, nothing written": {
      events: [task({ valid: true })],
      want: { invalid: [false], writes: [] },
    },
    "an invalid task never told: the condition for its generation, with the resourceVersion, and a Warning": {
      events: [task()],
      want: { invalid: [true], writes: [written({ message: problems, observedGeneration: 1, lastTransitionTime: t0 })], events: ["Warning InvalidSpec"] },
    },
    "already told (an operator restart): nothing written, no event": {
      events: [task({ conditions: [told()] })],
      want: { invalid: [true], writes: [] },
    },
    "its own write coming back: nothing more": {
      events: [task(), task({ conditions: [told({ lastTransitionTime: t0 })], resourceVersion: "6" })],
      want: { invalid: [true, true], writes: [written({ lastTransitionTime: t0 })], events: ["Warning InvalidSpec"] },
    },
    "a new generation, still invalid the same way: written for it, its transition time kept": {
      events: [task({ generation: 2, conditions: [told()] })],
      want: { invalid: [true], writes: [written({ observedGeneration: 2, lastTransitionTime: earlier })], events: ["Warning InvalidSpec"] },
    },
    "fixed in a new generation: schedulable again, nothing written (the agent clears the condition when it runs)": {
      events: [task({ conditions: [told()] }), task({ valid: true, generation: 2, conditions: [told()] })],
      want: { invalid: [true, false], writes: [] },
    },
    "a write that fails is logged, and tried again at the task's next event": {
      events: [task(), task({ resourceVersion: "6" })],
      failures: [{ verb: "patchStatus", name: "t", code: 500, times: 1 }],
      want: { invalid: [true, true], writes: [written({ lastTransitionTime: t0 }, "6")], events: ["Warning InvalidSpec"], logs: [/^task ns\/t: patchStatus Task t: 500$/] },
    },
    "a write that conflicts (the task changed): not logged, its next event decides again": {
      events: [task()],
      failures: [{ verb: "patchStatus", name: "t", code: 409 }],
      want: { invalid: [true], writes: [] },
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, async () => {
      const api = fakeApi({ failures: tc.failures });
      const logs: string[] = [];
      const validation = makeTaskValidation({ events: api.recorder, writer: api.writer, log: (line) => void logs.push(line), now: new FakeClock(t0).date });
      const invalid: boolean[] = [];
      for (const obj of tc.events) {
        invalid.push(validation.invalid(obj));
        await settle();
      }
      assert.deepEqual(invalid, tc.want.invalid);
      assertWrites(api.writes, tc.want.writes);
      assertEvents(api.events, tc.want.events ?? []);
      assert.equal(logs.length, tc.want.logs?.length ?? 0, logs.join("\n"));
      tc.want.logs?.forEach((re, i) => assert.match(logs[i]!, re));
    });
  }
});

test("task validation cuts a message the API server would refuse", async () => {
  const api = fakeApi();
  const validation = makeTaskValidation({ events: api.recorder, writer: api.writer, log: () => {}, now: new FakeClock(t0).date });
  const huge = { ...task(), spec: { commandLine: "true", ...Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`unknownField${i}`, 1])) } } as TaskObject;
  assert.equal(validation.invalid(huge), true);
  await settle();
  const [w] = api.writes;
  const message = (w?.body as { status: { conditions: Condition[] } }).status.conditions[0]!.message;
  assert.equal(message.length, 32768);
  assert.match(message, /^spec\.unknownField0: unknown field/);
});
