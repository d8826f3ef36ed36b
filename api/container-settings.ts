import { z } from "zod";
import { resourcesSchema } from "./kubernetes.ts";
import type { CrossFieldRule } from "./rules.ts";

/** Run a task in its own Pod from this image instead of on a warm node (Azure Batch TaskContainerSettings). */
export const containerSettingsSchema = z
  .strictObject({
    imageName: z.string().min(1).max(1024).describe("The container image, e.g. docker.io/library/busybox:1.36."),
    workingDirectory: z
      .enum(["TaskWorkingDirectory", "ContainerImageDefault"])
      .default("TaskWorkingDirectory")
      .describe("Run in the task's working directory (default) or the image's own WORKDIR."),
    imagePullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).optional().describe("core/v1 image pull policy."),
    resources: resourcesSchema.optional(),
  })
  .describe("Runs the task as its own Pod from this image instead of on a warm node.");

export type ContainerSettings = z.infer<typeof containerSettingsSchema>;

/**
 * A field the node agent or runner honours, refused beside containerSettings: a container task
 * runs as its own Pod, which neither starts, so the field would be ignored there.
 */
export function refusedWithContainer<T extends { containerSettings?: unknown }>(field: string, why: string): CrossFieldRule<T> {
  return {
    rule: `!has(self.containerSettings) || !has(self.${field})`,
    message: `${field}: ${why}`,
    fieldPath: `.${field}`,
    holds: (s) => s.containerSettings === undefined || (s as Record<string, unknown>)[field] === undefined,
  };
}
