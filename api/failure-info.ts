import { z } from "zod";

/** Why a task or start task failed (Azure Batch TaskFailureInformation). */
export const failureInfoSchema = z
  .strictObject({
    category: z.enum(["UserError", "ServerError"]).describe("UserError or ServerError."),
    code: z.string().max(256).describe("A PascalCase code, e.g. FailureExitCode, ResourceFileDownloadFailed, MaxWallClockTimeExpiry."),
    message: z.string().max(4096).optional().describe("A human-readable description."),
  })
  .describe("Why it failed.");

export type FailureInfo = z.infer<typeof failureInfoSchema>;
