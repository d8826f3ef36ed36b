import { z } from "zod";
import { commandLine } from "./command-line.ts";
import { conditionsSchema } from "./conditions.ts";
import { taskConstraintsSchema } from "./constraints.ts";
import { containerSettingsSchema } from "./container-settings.ts";
import { environmentSettings, environmentSizeRule } from "./environment.ts";
import { exitConditionsSchema } from "./exit-conditions.ts";
import { failureInfoSchema } from "./failure-info.ts";
import type { KindNames } from "./group.ts";
import { jobNameFields, jobNameOf, jobNameRules } from "./job-name.ts";
import { authenticationTokenSettingsSchema, containerTokenRule } from "./job-token.ts";
import { containerUserRule, userIdentitySchema } from "./user-identity.ts";
import { objectSchema, type Stored } from "./metadata.ts";
import { batchId, timestamp } from "./names.ts";
import { outputFiles } from "./output-file.ts";
import { parseWith, type ParseResult } from "./parse.ts";
import { resourceFiles } from "./resource-file.ts";
import { taskSlots } from "./retry.ts";
import { withRules, type CrossFieldRule } from "./rules.ts";
import { dependsOnItself, INTEGER_TASK_ID_PATTERN, taskDependenciesSchema } from "./task-dependencies.ts";

export const taskNames: KindNames = {
  kind: "Task",
  listKind: "TaskList",
  plural: "tasks",
  singular: "task",
  shortNames: ["ktask"],
  maxNameLength: 253,
};

const taskSpecObject = z.strictObject({
  ...jobNameFields("task"),
  id: batchId("The task's id within its job (default: metadata.name); dependsOn refers to it.").optional(),
  displayName: z.string().max(1024).optional().describe("A display name for the task."),
  commandLine: commandLine("The task's command line, run in its working directory $AZ_BATCH_TASK_WORKING_DIR."),
  resourceFiles: resourceFiles("Files downloaded into the task's working directory before it runs."),
  outputFiles: outputFiles("Files uploaded after the task ends."),
  environmentSettings: environmentSettings("Environment variables of the task (they win over the job's commonEnvironmentSettings)."),
  constraints: taskConstraintsSchema.prefault({}),
  exitConditions: exitConditionsSchema.optional(),
  dependsOn: taskDependenciesSchema.optional(),
  requiredSlots: taskSlots("Task slots the task needs on its node (1..256, at most the pool's taskSlotsPerNode; default 1).").default(1),
  affinityInfo: z
    .strictObject({
      affinityId: z.string().min(1).max(253).describe("Prefer this node (the name of one of the pool's node pods)."),
    })
    .optional()
    .describe("A hint to run the task on a given node."),
  containerSettings: containerSettingsSchema.optional(),
  authenticationTokenSettings: authenticationTokenSettingsSchema.optional(),
  userIdentity: userIdentitySchema.optional(),
});

type TaskSpecObject = z.output<typeof taskSpecObject>;

export const taskSpecRules: CrossFieldRule<TaskSpecObject>[] = [
  ...jobNameRules<TaskSpecObject>(),
  environmentSizeRule("environmentSettings", (s: TaskSpecObject) => s.environmentSettings),
  containerTokenRule<TaskSpecObject>(),
  containerUserRule<TaskSpecObject>(),
];

/** Task.spec (Azure Batch Task). */
export const taskSpecSchema = withRules(taskSpecObject, taskSpecRules).describe("A task: a command line run once on a node of the job's pool.");

/** Most nodes a task's status.preparationFailedNodes names (the latest kept). */
export const MAX_PREPARATION_FAILED_NODES = 32;

/** status.preparationFailedNodes (a Task's or a CollectionChunk's) with `node` last, once, the oldest dropped past the bound. */
export function withPreparationFailedNode(nodes: readonly string[] | undefined, node: string): string[] {
  return [...(nodes ?? []).filter((n) => n !== node), node].slice(-MAX_PREPARATION_FAILED_NODES);
}

export const taskStates = ["Active", "Preparing", "Running", "Completed"] as const;

export const taskStatusSchema = z
  .strictObject({
    observedGeneration: z.int().min(0).optional().describe("The .metadata.generation this status reflects."),
    conditions: conditionsSchema,
    state: z.enum(taskStates).optional().describe("Active (waiting), Preparing, Running or Completed."),
    stateTransitionTime: timestamp("When state last changed.").optional(),
    previousState: z.enum(taskStates).optional().describe("The state before the current one."),
    nodeInfo: z
      .strictObject({
        poolId: z.string().max(253).optional().describe("The pool of the node the task is assigned to."),
        nodeId: z.string().max(253).optional().describe("The node (node pod name) the task is assigned to."),
      })
      .optional()
      .describe("Where the task runs (its assignment)."),
    executionInfo: z
      .strictObject({
        startTime: timestamp("When the task last started running.").optional(),
        endTime: timestamp("When the task completed.").optional(),
        exitCode: z.int().optional().describe("Exit code of the task's command line."),
        result: z.enum(["Success", "Failure"]).optional().describe("Success or Failure."),
        failureInfo: failureInfoSchema.optional(),
        retryCount: z.int().min(0).optional().describe("How many times the task was retried after failing."),
        requeueCount: z.int().min(0).optional().describe("How many times the task was requeued (its node was lost or removed)."),
        lastRetryTime: timestamp("When the task was last retried.").optional(),
        lastRequeueTime: timestamp("When the task was last requeued.").optional(),
      })
      .optional()
      .describe("Execution information of the task."),
    stdoutTail: z.string().max(4096).optional().describe("The last bytes of stdout.txt."),
    stderrTail: z.string().max(4096).optional().describe("The last bytes of stderr.txt."),
    preparationFailedNodes: z
      .array(z.string().max(253))
      .max(MAX_PREPARATION_FAILED_NODES)
      .optional()
      .describe(
        "Nodes this task was assigned to whose job preparation task had failed: the node's agent gave the task back without running it (it stays Active), and no task of the job is scheduled there again (Azure Batch: the node is ineligible for the job).",
      ),
  })
  .describe("Observed state of the task.");

const taskObjectShape = objectSchema(taskNames, taskSpecSchema, taskStatusSchema);

// The task's id defaults to metadata.name, which only a rule at the object's root can see.
const OWN_ID = "(has(self.spec.id) ? self.spec.id : self.metadata.name)";
const HAS_DEPS = "!has(self.spec) || !has(self.spec.dependsOn)";

/**
 * A transition rule (the API server checks it on update): once a node started the task it runs,
 * or ran, the spec it read then, so a change would say what did not happen. Requeued or
 * reactivated (Active again), it may change. Stricter than Azure Batch, which lets a task's
 * constraints change (docs/architecture.md, differences).
 */
const startedTaskSpecRule: CrossFieldRule<z.output<typeof taskObjectShape>> = {
  rule: "!has(oldSelf.status) || !has(oldSelf.status.state) || oldSelf.status.state == 'Active' || self.spec == oldSelf.spec",
  message: "spec cannot change once the task has started (status.state Running or Completed): its node runs, or ran, the spec it read then; add another task, or reactivate this one first",
  fieldPath: ".spec",
  holds: () => true,
};

/** Rules on the whole Task (CEL at the CRD's root, where metadata.name is visible). */
export const taskObjectRules: CrossFieldRule<z.output<typeof taskObjectShape>>[] = [
  {
    rule: `${HAS_DEPS} || !has(self.spec.dependsOn.taskIds) || !(${OWN_ID} in self.spec.dependsOn.taskIds)`,
    message: "a task cannot depend on itself: its own id is in dependsOn.taskIds",
    fieldPath: ".spec.dependsOn.taskIds",
    holds: (t) => !dependsOnItself(t.spec.id ?? t.metadata.name, t.spec.dependsOn).taskIds,
  },
  {
    rule:
      `${HAS_DEPS} || !has(self.spec.dependsOn.taskIdRanges) || !${OWN_ID}.matches('${INTEGER_TASK_ID_PATTERN.source}') || ` +
      `!self.spec.dependsOn.taskIdRanges.exists(r, r.start <= int(${OWN_ID}) && int(${OWN_ID}) <= r.end)`,
    message: "a task cannot depend on itself: its own integer id is inside a dependsOn.taskIdRanges range",
    fieldPath: ".spec.dependsOn.taskIdRanges",
    holds: (t) => !dependsOnItself(t.spec.id ?? t.metadata.name, t.spec.dependsOn).taskIdRanges,
  },
  startedTaskSpecRule,
];

const taskObject = withRules(taskObjectShape, taskObjectRules);

/** A Task with the defaults that need the whole object resolved: spec.id (metadata.name) and spec.jobName (jobId). */
export const taskSchema = taskObject.transform((t) => ({
  ...t,
  spec: { ...t.spec, id: t.spec.id ?? t.metadata.name, jobName: jobNameOf(t.spec) ?? "" },
}));

export type TaskSpec = z.infer<typeof taskSpecSchema>;
export type TaskSpecInput = z.input<typeof taskSpecSchema>;
export type TaskStatus = z.infer<typeof taskStatusSchema>;
export type TaskState = (typeof taskStates)[number];
export type Task = z.infer<typeof taskSchema>;
export type TaskInput = z.input<typeof taskSchema>;
/** A Task as a cache or list holds it, unparsed (see Stored). */
export type StoredTask = Stored<TaskSpecInput, TaskStatus>;

/** Parses a Task read from the API server; spec.id and spec.jobName are always set in the result. */
export function parseTask(input: unknown): ParseResult<Task> {
  return parseWith(taskSchema, input);
}
