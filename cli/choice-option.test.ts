import assert from "node:assert/strict";
import { test } from "node:test";
import { choiceOption } from "./usage.ts";

test("a choice option: any case to the canonical name, else a UsageError listing the choices", () => {
  const options = ["Requeue", "Terminate", "TaskCompletion"] as const;
  for (const [value, want] of [["requeue", "Requeue"], ["TASKCOMPLETION", "TaskCompletion"], ["Terminate", "Terminate"]] as const) assert.equal(choiceOption("--tasks", value, options), want, value);
  assert.throws(() => choiceOption("--tasks", "later", options), { name: "UsageError", message: '--tasks: "later" is not one of requeue, terminate, taskcompletion' });
});
