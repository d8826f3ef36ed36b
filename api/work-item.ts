import { z } from "zod";
import { conditionsSchema } from "./conditions.ts";
import { duration } from "./duration.ts";
import type { KindNames } from "./group.ts";
import { jobSpecSchema } from "./job.ts";
import { metadataListSchema, objectSchema, type Stored } from "./metadata.ts";
import { timestamp } from "./names.ts";
import { parseWith, type ParseResult } from "./parse.ts";

/** The suffix the operator appends to a work item's name for each job: `<workitem>-job-0000000001`. */
export const JOB_SUFFIX_LENGTH = "-job-0000000001".length;

export const workItemNames: KindNames = {
  kind: "WorkItem",
  listKind: "WorkItemList",
  plural: "workitems",
  singular: "workitem",
  shortNames: ["kwi"],
  maxNameLength: 63 - JOB_SUFFIX_LENGTH,
};

/** When jobs are created (Azure Batch Schedule). No schedule: one job at once. */
export const scheduleSchema = z
  .strictObject({
    doNotRunUntil: timestamp("No job is created before this time.").optional(),
    doNotRunAfter: timestamp("No job is created after this time; the work item then completes.").optional(),
    startWindow: duration("If a job cannot be created within this time of its due time, that run is skipped; absent means no limit.").optional(),
    recurrenceInterval: duration("Time between the starts of two jobs; absent means one job only.").optional(),
  })
  .describe("When jobs are created. Without a schedule (or a recurrenceInterval) one job is created.");

export const workItemSpecSchema = z
  .strictObject({
    schedule: scheduleSchema.optional(),
    jobSpecification: jobSpecSchema.describe("The spec of each job the work item creates."),
    disabled: z.boolean().default(false).describe("Disable the work item: no job is created while true; an active job runs on (Azure Batch disable/enable job schedule)."),
    terminate: z.boolean().default(false).describe("Terminate the work item: its active job is terminated, and no job is created again. Cannot be undone."),
    terminateReason: z.string().min(1).max(1024).optional().describe("The terminateReason given to the active job (default UserTerminate)."),
    metadata: metadataListSchema,
  })
  .describe("A work item (Azure Batch job schedule): creates Jobs on a schedule.");

export const workItemStates = ["Active", "Completed", "Disabled", "Terminating", "Deleting"] as const;

export const workItemStatusSchema = z
  .strictObject({
    observedGeneration: z.int().min(0).optional().describe("The .metadata.generation this status reflects."),
    conditions: conditionsSchema,
    state: z.enum(workItemStates).optional().describe("Active, Completed, Disabled, Terminating or Deleting."),
    stateTransitionTime: timestamp("When state last changed.").optional(),
    executionInfo: z
      .strictObject({
        nextRunTime: timestamp("When the next job will be created.").optional(),
        recentJob: z
          .strictObject({
            name: z.string().max(253).describe("Name of the Job (jobs.kubatch.dev)."),
            creationTime: timestamp("When the job was created.").optional(),
          })
          .optional()
          .describe("The most recently created job, kept after the job is deleted: a job the work item made is never made again."),
        endTime: timestamp("When the work item completed.").optional(),
      })
      .optional()
      .describe("Execution information of the work item."),
  })
  .describe("Observed state of the work item.");

/** The whole object, as read from the API server. */
export const workItemSchema = objectSchema(workItemNames, workItemSpecSchema, workItemStatusSchema);

export type WorkItemSpec = z.infer<typeof workItemSpecSchema>;
export type WorkItemSpecInput = z.input<typeof workItemSpecSchema>;
export type WorkItemStatus = z.infer<typeof workItemStatusSchema>;
export type WorkItemState = (typeof workItemStates)[number];
export type WorkItem = z.infer<typeof workItemSchema>;
export type WorkItemInput = z.input<typeof workItemSchema>;
/** A WorkItem as a cache or list holds it, unparsed (see Stored). */
export type StoredWorkItem = Stored<WorkItemSpecInput, WorkItemStatus>;

/** Parses a WorkItem read from the API server. */
export function parseWorkItem(input: unknown): ParseResult<WorkItem> {
  return parseWith(workItemSchema, input);
}
