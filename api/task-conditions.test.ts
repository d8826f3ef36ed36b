import assert from "node:assert/strict";
import { test } from "node:test";
import { completedConditions } from "./task-conditions.ts";

test("completedConditions: Completed=True, its reason how the task ended", async (t) => {
  const at = "2026-12-07T02:00:00.000Z";
  const cases: Record<string, { input: Omit<Parameters<typeof completedConditions>[0], "generation">; want: { reason: string; message: string } }> = {
    succeeded: { input: { result: "Success", exitCode: 0, at }, want: { reason: "Succeeded", message: "succeeded (exit code 0)" } },
    "an exit code": { input: { result: "Failure", exitCode: 3, failureInfo: { category: "UserError", code: "FailureExitCode", message: "the task exited with code 3" }, at }, want: { reason: "FailureExitCode", message: "failed (exit code 3): the task exited with code 3" } },
    "ended by its job, no exit code": { input: { result: "Failure", failureInfo: { category: "UserError", code: "TaskEnded", message: "the job is being terminated (UserTerminate)" }, at }, want: { reason: "TaskEnded", message: "failed: the job is being terminated (UserTerminate)" } },
    "a code that is no reason": { input: { result: "Failure", failureInfo: { category: "ServerError", code: "pod-failed!" }, at }, want: { reason: "Failed", message: "failed" } },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, () => assert.deepEqual(completedConditions({ ...c.input, generation: 2 }), [{ type: "Completed", status: "True", ...c.want, lastTransitionTime: at, observedGeneration: 2 }]));
  }
});
