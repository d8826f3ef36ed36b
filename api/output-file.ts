import { z } from "zod";
import { storageCredentialsSchema } from "./kubernetes.ts";
import { httpUrl } from "./names.ts";

/** A file to upload after a task ends (Azure Batch OutputFile). */
export const outputFileSchema = z
  .strictObject({
    filePattern: z
      .string()
      .min(1)
      .max(1024)
      .describe("Which files to upload, relative to the task's working directory; * ** ? and [] wildcards (e.g. ../std*.txt, **/*.txt)."),
    destination: z
      .strictObject({
        container: z.strictObject({
          containerUrl: httpUrl("URL of the blob container to upload to."),
          path: z
            .string()
            .max(1024)
            .optional()
            .describe("Blob name (one file) or virtual directory (a pattern) in the container; default: the file's relative path."),
          credentialsSecretRef: storageCredentialsSchema.optional(),
        }),
      })
      .describe("Where to upload the files."),
    uploadOptions: z
      .strictObject({
        uploadCondition: z
          .enum(["TaskSuccess", "TaskFailure", "TaskCompletion"])
          .default("TaskCompletion")
          .describe("When to upload: TaskSuccess, TaskFailure or TaskCompletion (default)."),
      })
      .prefault({})
      .describe("When to upload."),
  })
  .describe("Files to upload after the task ends.");

export type OutputFile = z.infer<typeof outputFileSchema>;

export function outputFiles(description: string) {
  return z.array(outputFileSchema).max(100).optional().describe(description);
}
