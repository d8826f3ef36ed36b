import { z } from "zod";
import { withRules, type CrossFieldRule } from "./rules.ts";

/** What to do when a task ends a given way (Azure Batch ExitOptions). */
export const exitOptionsSchema = z
  .strictObject({
    jobAction: z
      .enum(["None", "Disable", "Terminate"])
      .optional()
      .describe("Action on the job (when its onTaskFailure is PerformExitOptionsJobAction): None, Disable or Terminate. Default: None for exit code 0, Terminate otherwise."),
    dependencyAction: z
      .enum(["Satisfy", "Block"])
      .optional()
      .describe("Whether tasks depending on this one may run: Satisfy or Block. Default: Satisfy for exit code 0, Block otherwise."),
  })
  .describe("What to do when a task ends this way.");

export type ExitOptions = z.infer<typeof exitOptionsSchema>;

const exitCodeRangeObject = z.strictObject({
  start: z.int().min(-2147483648).max(2147483647).describe("First exit code of the range."),
  end: z.int().min(-2147483648).max(2147483647).describe("Last exit code of the range (inclusive)."),
  exitOptions: exitOptionsSchema,
});

export const exitCodeRangeRules: CrossFieldRule<z.output<typeof exitCodeRangeObject>>[] = [
  { rule: "self.start <= self.end", message: "start must not exceed end", fieldPath: ".end", holds: (r) => r.start <= r.end },
];

export const exitCodeRangeSchema = withRules(exitCodeRangeObject, exitCodeRangeRules);

/** How the job reacts to a task's exit (Azure Batch ExitConditions). */
export const exitConditionsSchema = z
  .strictObject({
    exitCodes: z
      .array(
        z.strictObject({
          code: z.int().min(-2147483648).max(2147483647).describe("The exit code."),
          exitOptions: exitOptionsSchema,
        }),
      )
      .max(1000)
      .optional()
      .describe("Actions for individual exit codes."),
    exitCodeRanges: z.array(exitCodeRangeSchema).max(1000).optional().describe("Actions for ranges of exit codes."),
    preProcessingError: exitOptionsSchema.optional().describe("Action when the task could not start (e.g. a resource file failed to download)."),
    fileUploadError: exitOptionsSchema.optional().describe("Action when an output file failed to upload."),
    default: exitOptionsSchema.optional().describe("Action for any other failure."),
  })
  .describe("How the job reacts to the way a task ends.");

export type ExitConditions = z.infer<typeof exitConditionsSchema>;
