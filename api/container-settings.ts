import { z } from "zod";
import { resourcesSchema } from "./kubernetes.ts";

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
