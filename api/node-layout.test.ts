import assert from "node:assert/strict";
import { test } from "node:test";
import { batchEnvironment } from "./node-layout.ts";

test("batchEnvironment: task folders, and the job preparation folders for the job's other tasks", async (t) => {
  const node = { rootDir: "/r", poolId: "p", nodeId: "n", isDedicated: true };
  const cases: Record<string, { task?: Parameters<typeof batchEnvironment>[1]; want: Record<string, string | undefined> }> = {
    "start task": { want: { AZ_BATCH_TASK_DIR: "/r/startup", AZ_BATCH_TASK_WORKING_DIR: "/r/startup/wd", AZ_BATCH_JOB_ID: undefined, AZ_BATCH_JOB_PREP_DIR: undefined } },
    "task of a job without preparation": {
      task: { jobId: "j", taskId: "t" },
      want: { AZ_BATCH_JOB_ID: "j", AZ_BATCH_TASK_ID: "t", AZ_BATCH_TASK_DIR: "/r/workitems/j/job-1/t", AZ_BATCH_TASK_WORKING_DIR: "/r/workitems/j/job-1/t/wd", AZ_BATCH_JOB_PREP_DIR: undefined, AZ_BATCH_JOB_PREP_WORKING_DIR: undefined },
    },
    "task of a job with preparation": {
      task: { jobId: "j", taskId: "t", jobPreparationTaskId: "jobpreparation" },
      want: { AZ_BATCH_TASK_DIR: "/r/workitems/j/job-1/t", AZ_BATCH_JOB_PREP_DIR: "/r/workitems/j/job-1/jobpreparation", AZ_BATCH_JOB_PREP_WORKING_DIR: "/r/workitems/j/job-1/jobpreparation/wd" },
    },
    "the job preparation task itself": {
      task: { jobId: "j", taskId: "jobpreparation" },
      want: { AZ_BATCH_TASK_DIR: "/r/workitems/j/job-1/jobpreparation", AZ_BATCH_TASK_WORKING_DIR: "/r/workitems/j/job-1/jobpreparation/wd", AZ_BATCH_JOB_PREP_DIR: undefined },
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const env = batchEnvironment(node, tc.task);
      for (const [k, v] of Object.entries(tc.want)) assert.equal(env[k], v, k);
    });
  }
});
