import { z } from "zod";
import { duration } from "./duration.ts";
import { maxTaskRetryCount } from "./retry.ts";

/** Task constraints (Azure Batch TaskConstraints). */
export const taskConstraintsSchema = z
  .strictObject({
    maxWallClockTime: duration("Longest a task may run, from when it starts; absent means no limit.").optional(),
    retentionTime: duration("How long the completed task (its object and its directory on the node) is kept after it completes (default P7D); the job's counts keep it.").default("P7D"),
    maxTaskRetryCount: maxTaskRetryCount(
      "How many times a task that exits non-zero is retried; absent means the job's constraints.maxTaskRetryCount (default 0).",
    ).optional(),
  })
  .describe("Execution constraints of a task.");

export type TaskConstraints = z.infer<typeof taskConstraintsSchema>;

/** Job constraints (Azure Batch JobConstraints). */
export const jobConstraintsSchema = z
  .strictObject({
    maxWallClockTime: duration("Longest the job may run, from its creation; then it is terminated (MaxWallClockTimeExpiry). Absent means no limit.").optional(),
    maxTaskRetryCount: maxTaskRetryCount("How many times each task is retried, unless the task sets its own (default 0).").default(0),
  })
  .describe("Execution constraints of a job.");

export type JobConstraints = z.infer<typeof jobConstraintsSchema>;
