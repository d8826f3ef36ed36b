import assert from "node:assert/strict";
import { test } from "node:test";
import { reimageRequested, removalRequested, schedulingDisabled } from "./labels.ts";

test("what a node pod's annotations say of its scheduling: a removal or reimage wins over an earlier disable", () => {
  const cases: [string, Record<string, string> | undefined, ReturnType<typeof schedulingDisabled>][] = [
    ["nothing", undefined, undefined],
    ["disabled, Requeue", { "kubatch.dev/scheduling-disabled": "Requeue" }, "Requeue"],
    ["disabled with an unknown option: nothing stopped", { "kubatch.dev/scheduling-disabled": "Later" }, "TaskCompletion"],
    ["to be removed, Terminate", { "kubatch.dev/remove": "Terminate" }, "Terminate"],
    ["to be removed, RetainedData: its tasks finish", { "kubatch.dev/remove": "RetainedData" }, "TaskCompletion"],
    ["disabled with TaskCompletion, then reimaged with Requeue", { "kubatch.dev/scheduling-disabled": "TaskCompletion", "kubatch.dev/reimage": "Requeue" }, "Requeue"],
  ];
  for (const [name, annotations, want] of cases) assert.equal(schedulingDisabled(annotations), want, name);
  assert.equal(removalRequested({ "kubatch.dev/remove": "soon" }), "TaskCompletion");
  assert.equal(reimageRequested({}), undefined);
});
