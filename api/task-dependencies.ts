import { z } from "zod";
import { BATCH_ID_PATTERN } from "./names.ts";
import { withRules, type CrossFieldRule } from "./rules.ts";

/** Azure Batch's TaskIdRange bounds are Int32. */
const MAX_TASK_ID = 2147483647;
/** The ids one range may span: the largest job kubatch is built for (DESIGN §5, a 10^6-item collection). */
export const MAX_TASK_ID_RANGE_SPAN = 1_000_000;

const taskIdRangeObject = z.strictObject({
  start: z.int().min(0).max(MAX_TASK_ID).describe("First task id of the range (tasks with integer ids)."),
  end: z.int().min(0).max(MAX_TASK_ID).describe("Last task id of the range (inclusive)."),
});

export const taskIdRangeRules: CrossFieldRule<z.output<typeof taskIdRangeObject>>[] = [
  { rule: "self.start <= self.end", message: "start must not exceed end", fieldPath: ".end", holds: (r) => r.start <= r.end },
  {
    rule: `self.end - self.start < ${MAX_TASK_ID_RANGE_SPAN}`,
    message: `a range may span at most ${MAX_TASK_ID_RANGE_SPAN} task ids (end - start + 1)`,
    fieldPath: ".end",
    holds: (r) => r.end - r.start < MAX_TASK_ID_RANGE_SPAN,
  },
];

/** The task ids a taskIdRange covers: "7", never "07" (RE2-compatible, so CEL uses it too). */
export const INTEGER_TASK_ID_PATTERN = /^(0|[1-9][0-9]{0,9})$/;

/** The number a task id stands for in a taskIdRange, or undefined when it is not an integer id. */
export function integerTaskId(id: string): number | undefined {
  return INTEGER_TASK_ID_PATTERN.test(id) ? Number(id) : undefined;
}

/** Whether a task with this id is among its own dependencies (by taskIds, or inside a range when the id is an integer). */
export function dependsOnItself(id: string, deps: TaskDependencies | undefined): { taskIds: boolean; taskIdRanges: boolean } {
  const n = integerTaskId(id);
  return {
    taskIds: deps?.taskIds?.includes(id) ?? false,
    taskIdRanges: n !== undefined && (deps?.taskIdRanges?.some((r) => r.start <= n && n <= r.end) ?? false),
  };
}

const collectionItemsObject = z.strictObject({
  name: z.string().min(1).max(253).describe("The TaskCollection (its metadata.name) of the same job."),
  start: z.int().min(0).optional().describe("First item (0-based index) waited for; default 0."),
  end: z.int().min(0).optional().describe("Last item waited for (inclusive); default the collection's last."),
});

export const collectionItemsRules: CrossFieldRule<z.output<typeof collectionItemsObject>>[] = [
  {
    rule: "!has(self.start) || !has(self.end) || self.start <= self.end",
    message: "start must not exceed end",
    fieldPath: ".end",
    holds: (r) => r.start === undefined || r.end === undefined || r.start <= r.end,
  },
];

/** Tasks this task waits for (Azure Batch TaskDependencies); the job needs usesTaskDependencies. */
export const taskDependenciesSchema = z
  .strictObject({
    taskIds: z
      .array(z.string().max(64).regex(BATCH_ID_PATTERN, { error: "must be a task id (1-64 letters, digits, '-', '_')" }))
      .max(10000)
      .optional()
      .describe("Ids of the tasks this task depends on."),
    taskIdRanges: z.array(withRules(taskIdRangeObject, taskIdRangeRules)).max(1000).optional().describe("Ranges of integer task ids this task depends on."),
    taskCollections: z
      .array(withRules(collectionItemsObject, collectionItemsRules))
      .max(100)
      .optional()
      .describe("Items of the job's task collections this task depends on: all of a collection's, or items start..end (a single item is also <idPrefix>-<i> in taskIds)."),
  })
  .describe("Tasks that must complete (and satisfy their dependency action) before this one runs; the job must set usesTaskDependencies.");

export type TaskDependencies = z.infer<typeof taskDependenciesSchema>;
