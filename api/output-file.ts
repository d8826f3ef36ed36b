import { z } from "zod";
import { storageCredentialsSchema } from "./kubernetes.ts";
import { httpUrl } from "./names.ts";
import { PATH_SEGMENT } from "./resource-file.ts";

/**
 * A pattern that stays inside the task's directory: relative to the working directory, no
 * '..' but one leading '../' (the task's directory, where stdout.txt and stderr.txt are).
 * The agent also checks each match's real path, so a symlink cannot lead out either.
 */
export const OUTPUT_FILE_PATTERN = new RegExp(`^(?:\\.\\./)?${PATH_SEGMENT}(?:/${PATH_SEGMENT})*$`);

/** A file to upload after a task ends (Azure Batch OutputFile). */
export const outputFileSchema = z
  .strictObject({
    filePattern: z
      .string()
      .min(1)
      .max(1024)
      .regex(OUTPUT_FILE_PATTERN, { error: "must be relative to the task's working directory: no leading '/', no '..' but one leading '../' (the task's directory)" })
      .describe(
        "Which files to upload, relative to the task's working directory; * ** ? and [] wildcards (e.g. ../std*.txt, **/*.txt). No absolute path, no '..' but one leading '../'; files whose real path (symlinks resolved) leaves the task's directory are not uploaded.",
      ),
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

/** Most output files of one task. */
export const maxOutputFiles = 100;

export function outputFiles(description: string) {
  return z.array(outputFileSchema).max(maxOutputFiles).optional().describe(description);
}
