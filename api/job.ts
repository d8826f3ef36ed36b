import { z } from "zod";
import { conditionsSchema } from "./conditions.ts";
import { jobConstraintsSchema } from "./constraints.ts";
import { environmentSettings, environmentSizeRule } from "./environment.ts";
import type { KindNames } from "./group.ts";
import { jobManagerTaskSchema, jobPreparationTaskSchema, jobReleaseTaskSchema } from "./job-tasks.ts";
import { metadataListSchema, objectSchema, type Stored } from "./metadata.ts";
import { objectName, timestamp } from "./names.ts";
import { parseWith, type ParseResult } from "./parse.ts";
import { poolSpecSchema } from "./pool.ts";
import { countPresent, withRules, type CrossFieldRule } from "./rules.ts";

export const jobNames: KindNames = {
  kind: "Job",
  listKind: "JobList",
  plural: "jobs",
  singular: "job",
  shortNames: ["kjob"],
  maxNameLength: 63,
};

/** A pool created for the job (or work item) and deleted after it (Azure Batch AutoPoolSpecification). */
export const autoPoolSpecificationSchema = z
  .strictObject({
    autoPoolIdPrefix: z
      .string()
      .max(20)
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: "must be lowercase letters, digits and hyphens" })
      .optional()
      .describe("Prefix of the generated pool's name."),
    poolLifetimeOption: z
      .enum(["Job", "JobSchedule"])
      .default("Job")
      .describe("Whether the pool lives as long as the Job (default) or the WorkItem (JobSchedule)."),
    keepAlive: z.boolean().default(false).describe("Keep the pool after its lifetime ends (default false)."),
    pool: poolSpecSchema,
  })
  .describe("A pool created for this job and deleted with it.");

const poolInfoObject = z.strictObject({
  poolId: objectName("Name of an existing Pool in the job's namespace.").optional(),
  autoPoolSpecification: autoPoolSpecificationSchema.optional(),
});

export const poolInfoRules: CrossFieldRule<z.output<typeof poolInfoObject>>[] = [
  {
    rule: "[has(self.poolId), has(self.autoPoolSpecification)].filter(x, x).size() == 1",
    message: "exactly one of poolId, autoPoolSpecification",
    holds: (p) => countPresent(p.poolId, p.autoPoolSpecification) === 1,
  },
];

export const poolInfoSchema = withRules(poolInfoObject, poolInfoRules).describe(
  "The pool the job's tasks run on: exactly one of poolId, autoPoolSpecification.",
);

const jobSpecObject = z.strictObject({
  poolInfo: poolInfoSchema,
  priority: z.int().min(-1000).max(1000).default(0).describe("Priority among the pool's jobs, -1000 (lowest) to 1000 (highest); default 0."),
  maxParallelTasks: z
    .int()
    .min(-1)
    .max(1000000)
    .default(-1)
    .describe("Most tasks of the job running at once; -1 (default) means no limit."),
  constraints: jobConstraintsSchema.prefault({}),
  commonEnvironmentSettings: environmentSettings("Environment variables of every task of the job (a task's own settings win)."),
  jobPreparationTask: jobPreparationTaskSchema.optional(),
  jobReleaseTask: jobReleaseTaskSchema.optional(),
  jobManagerTask: jobManagerTaskSchema.optional(),
  onAllTasksComplete: z
    .enum(["NoAction", "TerminateJob"])
    .default("NoAction")
    .describe("What happens when every task has completed: NoAction (default) or TerminateJob."),
  onTaskFailure: z
    .enum(["NoAction", "PerformExitOptionsJobAction"])
    .default("NoAction")
    .describe("What happens when a task fails: NoAction (default) or PerformExitOptionsJobAction (the task's exitConditions jobAction)."),
  usesTaskDependencies: z.boolean().default(false).describe("Whether tasks may declare dependsOn (default false)."),
  metadata: metadataListSchema,
  disabled: z.boolean().default(false).describe("Disable the job: no new task starts while true (Azure Batch disable/enable)."),
  disableTasks: z
    .enum(["Requeue", "Terminate", "Wait"])
    .default("Requeue")
    .describe("On disabling, what happens to running tasks: Requeue (default), Terminate or Wait."),
  terminate: z.boolean().default(false).describe("Terminate the job: running tasks are ended and the job completes. Cannot be undone."),
  terminateReason: z.string().max(1024).optional().describe("Reason recorded when terminate is set (default UserTerminate)."),
});

export const jobSpecRules: CrossFieldRule<z.output<typeof jobSpecObject>>[] = [
  {
    rule: "self.maxParallelTasks != 0",
    message: "must be -1 (no limit) or at least 1",
    fieldPath: ".maxParallelTasks",
    holds: (s) => s.maxParallelTasks !== 0,
  },
  environmentSizeRule("commonEnvironmentSettings", (s: z.output<typeof jobSpecObject>) => s.commonEnvironmentSettings),
];

/** Job.spec (Azure Batch Job). */
export const jobSpecSchema = withRules(jobSpecObject, jobSpecRules).describe("A job: a collection of tasks run on a pool.");

export const jobStates = ["Active", "Disabling", "Disabled", "Enabling", "Terminating", "Completed"] as const;

/** Tasks deleted for retentionTime in one batch (one job status write, then their deletes). */
export const maxRetiringTasks = 500;

const count = (description: string) => z.int().min(0).optional().describe(description);

export const jobStatusSchema = z
  .strictObject({
    observedGeneration: z.int().min(0).optional().describe("The .metadata.generation this status reflects."),
    conditions: conditionsSchema,
    state: z.enum(jobStates).optional().describe("Active, Disabling, Disabled, Enabling, Terminating or Completed."),
    stateTransitionTime: timestamp("When state last changed.").optional(),
    previousState: z.enum(jobStates).optional().describe("The state before the current one."),
    taskCounts: z
      .strictObject({
        active: count("Tasks waiting to run."),
        running: count("Tasks running (or preparing)."),
        completed: count("Tasks completed (succeeded + failed)."),
        succeeded: count("Completed tasks whose result is Success."),
        failed: count("Completed tasks whose result is Failure."),
      })
      .optional()
      .describe("Number of the job's tasks in each state."),
    deletedTaskCounts: z
      .strictObject({
        succeeded: count("Deleted tasks whose result was Success."),
        failed: count("Deleted tasks whose result was Failure."),
      })
      .optional()
      .describe("Completed tasks deleted after their constraints.retentionTime, still counted in taskCounts."),
    retiringTasks: z
      .array(
        z.strictObject({
          name: z.string().max(253).describe("The Task's name."),
          uid: z.string().max(64).describe("The Task's uid: a new task of the same name is not this one."),
        }),
      )
      .max(maxRetiringTasks)
      .optional()
      .describe(
        "Tasks already counted in deletedTaskCounts that may not be deleted yet (as a Kubernetes Job's uncountedTerminatedPods): the counts leave them out until they are gone, so a crash between the count and the delete counts nothing twice.",
      ),
    executionInfo: z
      .strictObject({
        startTime: timestamp("When the job started.").optional(),
        endTime: timestamp("When the job completed.").optional(),
        poolId: z.string().max(253).optional().describe("The pool the job runs on (the generated one for an auto pool)."),
        terminateReason: z
          .string()
          .max(1024)
          .optional()
          .describe("Why the job completed: AllTasksComplete, MaxWallClockTimeExpiry, TaskFailed, UserTerminate, …"),
      })
      .optional()
      .describe("Execution information of the job."),
  })
  .describe("Observed state of the job.");

/** The whole object, as read from the API server. */
export const jobSchema = objectSchema(jobNames, jobSpecSchema, jobStatusSchema);

export type JobSpec = z.infer<typeof jobSpecSchema>;
export type JobSpecInput = z.input<typeof jobSpecSchema>;
export type JobStatus = z.infer<typeof jobStatusSchema>;
export type JobState = (typeof jobStates)[number];
export type Job = z.infer<typeof jobSchema>;
export type JobInput = z.input<typeof jobSchema>;
/** A Job as a cache or list holds it, unparsed (see Stored). */
export type StoredJob = Stored<JobSpecInput, JobStatus>;

/** Parses a Job (jobs.kubatch.dev) read from the API server. */
export function parseJob(input: unknown): ParseResult<Job> {
  return parseWith(jobSchema, input);
}
