import { z } from "zod";
import { storageCredentialsSchema } from "./kubernetes.ts";
import { httpUrl } from "./names.ts";
import { countPresent, withRules, type CrossFieldRule } from "./rules.ts";

/**
 * A relative path that cannot leave the task's working directory: no leading '/', no empty
 * segment, no '..' segment (RE2 has no look-arounds, so '..' is excluded segment by segment).
 */
export const PATH_SEGMENT = String.raw`(?:[^/.][^/]*|\.[^/.][^/]*|\.\.[^/]+|\.)`;
export const RELATIVE_PATH_PATTERN = new RegExp(`^${PATH_SEGMENT}(?:/${PATH_SEGMENT})*/?$`);

export function relativePath(description: string): z.ZodString {
  return z
    .string()
    .max(1024)
    .regex(RELATIVE_PATH_PATTERN, { error: "must be a relative path inside the working directory (no leading '/', no '..')" })
    .describe(description);
}

/** An Azure Storage container name: 3-63 lowercase letters, digits and single hyphens. */
export const CONTAINER_NAME_PATTERN = /^[a-z0-9](?:-?[a-z0-9])*$/;

const resourceFileObject = z.strictObject({
  httpUrl: httpUrl("URL of one file to download (a blob URL, or any http(s) URL).").optional(),
  storageContainerUrl: httpUrl("URL of a blob container whose blobs (optionally filtered by blobPrefix) are downloaded.").optional(),
  autoStorageContainerName: z
    .string()
    .min(3)
    .max(63)
    .regex(CONTAINER_NAME_PATTERN, { error: "must be 3-63 lowercase letters, digits and single hyphens" })
    .optional()
    .describe("Name of a container in the operator's configured storage account, whose blobs are downloaded."),
  blobPrefix: z
    .string()
    .max(1024)
    .optional()
    .describe("Only blobs whose names start with this prefix are downloaded (with storageContainerUrl or autoStorageContainerName)."),
  filePath: relativePath(
    "Where to put the file(s), relative to the task's working directory: the file name with httpUrl (required), a directory otherwise.",
  ).optional(),
  fileMode: z
    .string()
    .regex(/^0?[0-7]{3}$/, { error: "must be an octal file mode such as 0755" })
    .default("0770")
    .describe("Octal file mode of the downloaded files (default 0770)."),
  credentialsSecretRef: storageCredentialsSchema
    .optional()
    .describe("Secret key holding credentials for the URL (connection string or SAS token); public URLs need none."),
});

type ResourceFileObject = z.output<typeof resourceFileObject>;

export const resourceFileRules: CrossFieldRule<ResourceFileObject>[] = [
  {
    rule: "[has(self.httpUrl), has(self.storageContainerUrl), has(self.autoStorageContainerName)].filter(x, x).size() == 1",
    message: "exactly one of httpUrl, storageContainerUrl, autoStorageContainerName",
    holds: (f) => countPresent(f.httpUrl, f.storageContainerUrl, f.autoStorageContainerName) === 1,
  },
  {
    rule: "!has(self.blobPrefix) || !has(self.httpUrl)",
    message: "blobPrefix applies only to storageContainerUrl or autoStorageContainerName",
    fieldPath: ".blobPrefix",
    holds: (f) => f.blobPrefix === undefined || f.httpUrl === undefined,
  },
  {
    rule: "!has(self.httpUrl) || has(self.filePath)",
    message: "filePath is required with httpUrl",
    fieldPath: ".filePath",
    holds: (f) => f.httpUrl === undefined || f.filePath !== undefined,
  },
];

/** A file to download before a task runs (Azure Batch ResourceFile). */
export const resourceFileSchema = withRules(resourceFileObject, resourceFileRules).describe(
  "A file (or a container's blobs) to download into the task's working directory before it runs. Exactly one of httpUrl, storageContainerUrl, autoStorageContainerName.",
);

export type ResourceFile = z.infer<typeof resourceFileSchema>;

export function resourceFiles(description: string) {
  return z.array(resourceFileSchema).max(1000).optional().describe(description);
}
