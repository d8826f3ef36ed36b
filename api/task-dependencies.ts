import { z } from "zod";
import { BATCH_ID_PATTERN } from "./names.ts";
import { withRules, type CrossFieldRule } from "./rules.ts";

const taskIdRangeObject = z.strictObject({
  start: z.int().min(0).describe("First task id of the range (tasks with integer ids)."),
  end: z.int().min(0).describe("Last task id of the range (inclusive)."),
});

export const taskIdRangeRules: CrossFieldRule<z.output<typeof taskIdRangeObject>>[] = [
  { rule: "self.start <= self.end", message: "start must not exceed end", fieldPath: ".end", holds: (r) => r.start <= r.end },
];

/** Tasks this task waits for (Azure Batch TaskDependencies); the job needs usesTaskDependencies. */
export const taskDependenciesSchema = z
  .strictObject({
    taskIds: z
      .array(z.string().regex(BATCH_ID_PATTERN, { error: "must be a task id (1-64 letters, digits, '-', '_')" }))
      .max(10000)
      .optional()
      .describe("Ids of the tasks this task depends on."),
    taskIdRanges: z.array(withRules(taskIdRangeObject, taskIdRangeRules)).max(1000).optional().describe("Ranges of integer task ids this task depends on."),
  })
  .describe("Tasks that must complete (and satisfy their dependency action) before this one runs; the job must set usesTaskDependencies.");

export type TaskDependencies = z.infer<typeof taskDependenciesSchema>;
