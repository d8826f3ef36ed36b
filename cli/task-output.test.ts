import assert from "node:assert/strict";
import { test } from "node:test";
import { taskOutputNote } from "./task-output.ts";

test("taskOutputNote says what the tail is and where the whole output is", () => {
  const base = { task: "t1", job: "j", node: "pool-n1", file: "stdout.txt", state: "Completed", empty: false };
  const cases: Record<string, { o: Parameters<typeof taskOutputNote>[0]; want: string }> = {
    "a tail: the file, and its rotated older half": {
      o: base,
      want: "# task t1 (Completed): the last KiB of stdout.txt; the full file: $AZ_BATCH_NODE_ROOT_DIR/workitems/j/job-1/t1/stdout.txt on node pool-n1 (its older half in stdout.txt.1 once it outgrew half the node's output cap)",
    },
    "completed with nothing: the file is empty": { o: { ...base, empty: true, file: "stderr.txt" }, want: "# task t1 (Completed): no stderr.txt output reported (the file is empty); the file: $AZ_BATCH_NODE_ROOT_DIR/workitems/j/job-1/t1/stderr.txt on node pool-n1" },
    "running with nothing yet, no node known": { o: { ...base, empty: true, state: "Running", node: "" }, want: "# task t1 (Running): no stdout.txt output reported yet; the file: $AZ_BATCH_NODE_ROOT_DIR/workitems/j/job-1/t1/stdout.txt" },
  };
  for (const [name, tc] of Object.entries(cases)) assert.equal(taskOutputNote(tc.o), tc.want, name);
});
