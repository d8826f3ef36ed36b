import { z } from "zod";
import { commandLine } from "./command-line.ts";
import { taskConstraintsSchema } from "./constraints.ts";
import { containerSettingsSchema } from "./container-settings.ts";
import { duration } from "./duration.ts";
import { environmentSettings } from "./environment.ts";
import { authenticationTokenSettingsSchema, containerTokenRule } from "./job-token.ts";
import { containerUserRule, userIdentitySchema } from "./user-identity.ts";
import { batchId } from "./names.ts";
import { outputFiles } from "./output-file.ts";
import { resourceFiles } from "./resource-file.ts";
import { taskSlots } from "./retry.ts";
import { withRules, type CrossFieldRule } from "./rules.ts";

/**
 * A job preparation or release task runs on the node itself, in its `tasks` container (the
 * pool's image), to prepare or clean what the job's tasks share there; a container of another
 * image could not reach the node's processes. Azure accepts containerSettings there; kubatch
 * refuses it rather than ignore it.
 */
function noContainerSettingsRule(task: string): CrossFieldRule<{ containerSettings?: unknown }> {
  return {
    rule: "!has(self.containerSettings)",
    message: `containerSettings on a ${task} is not supported: it runs in the node's tasks container, in the pool's image (set the image the node runs on the Pool: spec.image)`,
    fieldPath: ".containerSettings",
    holds: (s) => s.containerSettings === undefined,
  };
}
/**
 * A job preparation or release task's folder lives as long as the node pod: a retentionTime
 * other than the default (P7D, longer than most node pods live) is refused, not ignored.
 */
const keptWithTheNode = "its folder is kept as long as the node pod; another retentionTime is not supported yet (leave it out, or P7D)";
export const jobPreparationTaskRules: CrossFieldRule<{ containerSettings?: unknown; constraints: { retentionTime: string } }>[] = [
  noContainerSettingsRule("job preparation task"),
  {
    rule: "self.constraints.retentionTime == 'P7D'",
    message: `constraints.retentionTime of a job preparation task: ${keptWithTheNode}`,
    fieldPath: ".constraints.retentionTime",
    holds: (s) => s.constraints.retentionTime === "P7D",
  },
];
export const jobReleaseTaskRules: CrossFieldRule<{ containerSettings?: unknown; retentionTime: string }>[] = [
  noContainerSettingsRule("job release task"),
  {
    rule: "self.retentionTime == 'P7D'",
    message: `retentionTime of a job release task: ${keptWithTheNode}`,
    fieldPath: ".retentionTime",
    holds: (s) => s.retentionTime === "P7D",
  },
];

/** Runs on each node before the job's first task there (Azure Batch JobPreparationTask). */
const jobPreparationTaskObject = z
  .strictObject({
    id: batchId("Id of the task (default jobpreparation).").default("jobpreparation"),
    commandLine: commandLine("The job preparation task's command line."),
    containerSettings: containerSettingsSchema.optional(),
    resourceFiles: resourceFiles("Files downloaded before the job preparation task runs."),
    environmentSettings: environmentSettings("Environment variables of the job preparation task."),
    userIdentity: userIdentitySchema.optional(),
    constraints: taskConstraintsSchema.prefault({}),
    waitForSuccess: z
      .boolean()
      .default(true)
      .describe("Whether the job's tasks wait for the preparation task to succeed on the node (default true)."),
    rerunOnNodeRebootAfterSuccess: z
      .boolean()
      .default(true)
      .describe("Whether to run it again when the node restarts (default true)."),
  });
export const jobPreparationTaskSchema = withRules(jobPreparationTaskObject, jobPreparationTaskRules).describe("Runs on each node before the first of the job's tasks runs there.");

/** Runs on each node that ran the job's tasks, when the job ends (Azure Batch JobReleaseTask). */
const jobReleaseTaskObject = z
  .strictObject({
    id: batchId("Id of the task (default jobrelease).").default("jobrelease"),
    commandLine: commandLine("The job release task's command line."),
    containerSettings: containerSettingsSchema.optional(),
    resourceFiles: resourceFiles("Files downloaded before the job release task runs."),
    environmentSettings: environmentSettings("Environment variables of the job release task."),
    userIdentity: userIdentitySchema.optional(),
    maxWallClockTime: duration("Longest the release task may run (default PT15M).").default("PT15M"),
    retentionTime: duration("How long its directory is kept on the node (default P7D).").default("P7D"),
  });
export const jobReleaseTaskSchema = withRules(jobReleaseTaskObject, jobReleaseTaskRules).describe("Runs on every node that ran the job's tasks when the job completes or is terminated.");

const jobManagerTaskObject = z.strictObject({
  id: batchId("Id of the job manager task."),
  displayName: z.string().max(1024).optional().describe("A display name for the task."),
  commandLine: commandLine("The job manager task's command line."),
  containerSettings: containerSettingsSchema.optional(),
  resourceFiles: resourceFiles("Files downloaded before the job manager task runs."),
  outputFiles: outputFiles("Files uploaded after the job manager task ends."),
  environmentSettings: environmentSettings("Environment variables of the job manager task."),
  constraints: taskConstraintsSchema.prefault({}),
  requiredSlots: taskSlots("Task slots the job manager task needs on its node (default 1).").default(1),
  killJobOnCompletion: z
    .boolean()
    .default(true)
    .describe("Whether the job completes (terminating its other tasks) when the job manager task completes (default true)."),
  runExclusive: z
    .boolean()
    .default(true)
    .describe("Whether the job manager task needs a node of its own (default true)."),
  allowLowPriorityNode: z.boolean().default(true).describe("Whether it may run on a low-priority node (default true)."),
  authenticationTokenSettings: authenticationTokenSettingsSchema.optional(),
  userIdentity: userIdentitySchema.optional(),
});
export const jobManagerTaskRules: CrossFieldRule<z.output<typeof jobManagerTaskObject>>[] = [containerTokenRule(), containerUserRule()];
/** Started when the job starts; controls the job (Azure Batch JobManagerTask). */
export const jobManagerTaskSchema = withRules(jobManagerTaskObject, jobManagerTaskRules).describe(
  "Started first when the job starts; typically it submits the job's tasks (with authenticationTokenSettings access [job], through its job token).",
);
