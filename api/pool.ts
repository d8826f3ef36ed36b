import { z } from "zod";
import { conditionsSchema } from "./conditions.ts";
import { duration } from "./duration.ts";
import { failureInfoSchema } from "./failure-info.ts";
import type { KindNames } from "./group.ts";
import { affinitySchema, freeForm, nodeSelectorSchema, resourcesSchema, tolerationsSchema } from "./kubernetes.ts";
import { metadataListSchema, objectSchema, type Stored } from "./metadata.ts";
import { timestamp } from "./names.ts";
import { parseWith, type ParseResult } from "./parse.ts";
import { taskSlots } from "./retry.ts";
import { countPresent, withRules, type CrossFieldRule } from "./rules.ts";
import { startTaskSchema } from "./start-task.ts";

export const poolNames: KindNames = {
  kind: "Pool",
  listKind: "PoolList",
  plural: "pools",
  singular: "pool",
  shortNames: ["kpool"],
  maxNameLength: 63,
};

/** Highest node count per pool (dedicated or low-priority). */
export const MAX_POOL_NODES = 10000;

const nodeCount = (description: string) => z.int().min(0).max(MAX_POOL_NODES).describe(description);

export const nodeDeallocationOptions = ["Requeue", "Terminate", "TaskCompletion", "RetainedData"] as const;

const poolSpecObject = z.strictObject({
  vmSize: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: "must be a size name from the operator's configuration, e.g. small" })
    .optional()
    .describe("A named node size from the operator's configuration (e.g. small → CPU and memory requests). Exactly one of vmSize, resources."),
  resources: resourcesSchema.optional().describe("CPU and memory of each node pod, instead of vmSize."),
  image: z.string().min(1).max(1024).optional().describe("Image of the node pods (default: the operator's task-runner image)."),
  targetDedicatedNodes: nodeCount("Desired number of dedicated nodes (default 0). Not set when enableAutoScale is true; `kubectl scale` sets it.").optional(),
  targetLowPriorityNodes: nodeCount("Desired number of low-priority (spot) nodes (default 0), run as a second Deployment placed by lowPriority.").optional(),
  lowPriority: z
    .strictObject({
      nodeSelector: nodeSelectorSchema.optional(),
      tolerations: tolerationsSchema.optional(),
      affinity: affinitySchema.optional(),
    })
    .optional()
    .describe("Placement of the low-priority nodes (e.g. on spot Kubernetes nodes)."),
  enableAutoScale: z.boolean().default(false).describe("Whether autoScaleFormula sets the pool's size (default false)."),
  autoScaleFormula: z
    .string()
    .min(1)
    .max(8192)
    .optional()
    .describe("Azure Batch autoscale formula, e.g. $TargetDedicatedNodes = min(10, $PendingTasks.GetSample(1)); required with enableAutoScale."),
  autoScaleEvaluationInterval: duration("How often the formula is evaluated (default 30s, at least 5s; Azure Batch's minimum is 5 minutes).").default("30s"),
  resizeTimeout: duration("How long a resize may take before the pool reports a resize error (default PT15M).").default("PT15M"),
  nodeDeallocationOption: z
    .enum(nodeDeallocationOptions)
    .default("Requeue")
    .describe("What happens to running tasks when nodes are removed: Requeue (default), Terminate, TaskCompletion or RetainedData."),
  startTask: startTaskSchema.optional(),
  taskSlotsPerNode: taskSlots("How many tasks may run at once on a node (1..256, default 1).").default(1),
  separateTaskUsers: z
    .boolean()
    .default(false)
    .describe(
      "Run each task as the user its userIdentity names, by default a non-admin user of its own (Azure Batch's behaviour): the node pod's tasks container then runs its runner as root with the capabilities CHOWN, DAC_OVERRIDE, FOWNER, KILL, SETGID and SETUID only, which the baseline Pod Security Standard allows and the restricted one does not. false (default): every task runs as the node pod's user.",
    ),
  taskSchedulingPolicy: z
    .strictObject({
      nodeFillType: z
        .enum(["Spread", "Pack"])
        .default("Spread")
        .describe("Spread tasks evenly across nodes (default), or Pack each node's slots before using the next."),
    })
    .prefault({})
    .describe("How tasks are distributed across nodes."),
  metadata: metadataListSchema,
  nodeSelector: nodeSelectorSchema.optional(),
  tolerations: tolerationsSchema.optional(),
  affinity: affinitySchema.optional(),
  serviceAccountName: z
    .string()
    .max(253)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/)
    .optional()
    .describe("Service account of the node pods."),
  podTemplate: freeForm(
    "Overrides merged into the node pods' template: {metadata: {labels, annotations}, spec: {…}} (core/v1 PodTemplateSpec fields).",
  ).optional(),
});

type PoolSpecObject = z.output<typeof poolSpecObject>;

export const poolSpecRules: CrossFieldRule<PoolSpecObject>[] = [
  {
    rule: "[has(self.vmSize), has(self.resources)].filter(x, x).size() == 1",
    message: "exactly one of vmSize, resources",
    holds: (s) => countPresent(s.vmSize, s.resources) === 1,
  },
  {
    rule: "!(has(self.enableAutoScale) && self.enableAutoScale) || has(self.autoScaleFormula)",
    message: "autoScaleFormula is required when enableAutoScale is true",
    fieldPath: ".autoScaleFormula",
    holds: (s) => !s.enableAutoScale || s.autoScaleFormula !== undefined,
  },
  {
    rule: "!(has(self.enableAutoScale) && self.enableAutoScale) || !has(self.targetDedicatedNodes)",
    message: "targetDedicatedNodes must not be set when enableAutoScale is true (the formula sets it)",
    fieldPath: ".targetDedicatedNodes",
    holds: (s) => !s.enableAutoScale || s.targetDedicatedNodes === undefined,
  },
  {
    rule: "!(has(self.enableAutoScale) && self.enableAutoScale) || !has(self.targetLowPriorityNodes)",
    message: "targetLowPriorityNodes must not be set when enableAutoScale is true (the formula sets it)",
    fieldPath: ".targetLowPriorityNodes",
    holds: (s) => !s.enableAutoScale || s.targetLowPriorityNodes === undefined,
  },
];

/** Pool.spec: a set of warm nodes (Azure Batch Pool). */
export const poolSpecSchema = withRules(poolSpecObject, poolSpecRules).describe(
  "A pool of warm compute nodes (node pods), each prepared once by the start task.",
);

export const nodeStates = [
  "Creating",
  "Starting",
  "WaitingForStartTask",
  "StartTaskFailed",
  "Idle",
  "Running",
  "LeavingPool",
  "Unusable",
  "Offline",
  "Reimaging",
  "Preempted",
] as const;

const count = (description: string) => z.int().min(0).optional().describe(description);

/** A node's start task: from its init container's status (waitForSuccess), else from its agent (annotation kubatch.dev/start-task-info). */
export const startTaskInfoSchema = z.strictObject({
  state: z.enum(["Running", "Completed"]).describe("Running or Completed."),
  startTime: timestamp("When the start task last started.").optional(),
  endTime: timestamp("When the start task last ended.").optional(),
  exitCode: z.int().optional().describe("Exit code of the last run."),
  retryCount: count("How many times it was retried."),
  result: z.enum(["Success", "Failure"]).optional().describe("Success or Failure."),
  failureInfo: failureInfoSchema.optional(),
});
export type StartTaskInfo = z.infer<typeof startTaskInfoSchema>;

export const poolStatusSchema = z
  .strictObject({
    observedGeneration: z.int().min(0).optional().describe("The .metadata.generation this status reflects."),
    conditions: conditionsSchema,
    allocationState: z
      .enum(["Steady", "Resizing", "Stopping"])
      .optional()
      .describe("Steady, Resizing (nodes being added or removed) or Stopping (a resize is being stopped)."),
    allocationStateTransitionTime: timestamp("When allocationState last changed.").optional(),
    currentDedicatedNodes: count("Dedicated nodes in the pool now."),
    currentLowPriorityNodes: count("Low-priority nodes in the pool now."),
    targetDedicatedNodes: count("Dedicated nodes the pool is moving to (from the spec or the autoscale formula)."),
    targetLowPriorityNodes: count("Low-priority nodes the pool is moving to."),
    nodeCounts: z
      .strictObject({
        creating: count("Nodes being created."),
        starting: count("Nodes starting up."),
        waitingForStartTask: count("Nodes waiting for their start task."),
        startTaskFailed: count("Nodes whose start task failed."),
        idle: count("Nodes with no running task."),
        running: count("Nodes running tasks."),
        leavingPool: count("Nodes being removed."),
        unusable: count("Nodes that cannot run tasks."),
        offline: count("Nodes whose scheduling is disabled, running no task."),
        reimaging: count("Nodes being reimaged (replaced by a fresh node pod)."),
        preempted: count("Low-priority nodes taken away (their pod disrupted: preempted, evicted, its node shut down)."),
        total: count("All nodes."),
      })
      .optional()
      .describe("Number of nodes in each state."),
    nodes: z
      .array(
        z.strictObject({
          name: z.string().min(1).max(253).describe("Name of the node (its pod's name)."),
          state: z.enum(nodeStates).describe("State of the node."),
          isDedicated: z.boolean().optional().describe("Whether it is a dedicated (not low-priority) node."),
          schedulingState: z.enum(["Enabled", "Disabled"]).optional().describe("Disabled: no new task is scheduled on the node (kubatch node disable-scheduling); absent means Enabled."),
          runningTasks: count("Tasks running on the node."),
          runningTaskSlots: count("Task slots in use on the node."),
          totalTasksRun: count("Tasks that completed on the node."),
          totalTasksSucceeded: count("Tasks that completed on the node with result Success."),
          startTaskInfo: startTaskInfoSchema.optional().describe("The start task on this node."),
          recentTasks: z
            .array(
              z.strictObject({
                jobId: z.string().min(1).max(253).describe("The task's job."),
                taskId: z.string().min(1).max(253).describe("The task's id."),
                taskState: z.enum(["Active", "Preparing", "Running", "Completed"]).describe("Its state when it last changed here."),
                exitCode: z.int().optional().describe("Its exit code, once completed."),
                result: z.enum(["Success", "Failure"]).optional().describe("Success or Failure, once completed."),
              }),
            )
            .max(5)
            .optional()
            .describe("The tasks whose state last changed on this node, newest first (at most 5; Azure Batch's recentTasks). Not collection items."),
          errors: z
            .array(
              z.strictObject({
                code: z.string().min(1).max(64).describe("What went wrong, PascalCase (ImagePullFailed, ContainerConfigError, OOMKilled)."),
                message: z.string().max(1024).describe("The kubelet's words, naming the container and its image."),
              }),
            )
            .max(4)
            .optional()
            .describe("Why the node cannot run tasks (Azure Batch's ComputeNodeError)."),
        }),
      )
      .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] })
      .optional()
      .describe("The pool's nodes, at most 100: those that cannot run first, then those starting or leaving, then running, then idle ones (by name within each); nodeCounts counts them all."),
    nodesNotListed: count("How many of the pool's nodes `nodes` leaves out (it lists at most 100)."),
    autoScaleRun: z
      .strictObject({
        timestamp: timestamp("When the formula was last evaluated."),
        results: z.string().max(8192).optional().describe("Final values of the formula's variables, $Name=value;… as in Azure Batch."),
        error: z
          .strictObject({
            code: z.string().max(256).describe("e.g. InsufficientSampleData."),
            message: z.string().max(4096).describe("What went wrong."),
            values: z
              .array(z.strictObject({ name: z.string(), value: z.string() }))
              .max(32)
              .optional()
              .describe("Details, e.g. the line and column."),
          })
          .optional()
          .describe("Why the last evaluation failed, or (code AutoScaleTargetTooLarge) why its targets were lowered to the pool limit of 10000 nodes."),
      })
      .optional()
      .describe("The last autoscale evaluation."),
    selector: z.string().max(4096).optional().describe("Label selector of the pool's node pods (for the scale subresource)."),
  })
  .describe("Observed state of the pool.");

/** The whole object, as read from the API server. */
export const poolSchema = objectSchema(poolNames, poolSpecSchema, poolStatusSchema);

export type PoolSpec = z.infer<typeof poolSpecSchema>;
export type PoolSpecInput = z.input<typeof poolSpecSchema>;
export type PoolStatus = z.infer<typeof poolStatusSchema>;
export type Pool = z.infer<typeof poolSchema>;
export type PoolInput = z.input<typeof poolSchema>;
/** A Pool as a cache or list holds it, unparsed (see Stored). */
export type StoredPool = Stored<PoolSpecInput, PoolStatus>;
export type NodeState = (typeof nodeStates)[number];

/** Parses a Pool read from the API server: the typed object with defaults applied, or every problem with its field path. */
export function parsePool(input: unknown): ParseResult<Pool> {
  return parseWith(poolSchema, input);
}
