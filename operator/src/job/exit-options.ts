// What a completed task means for its job and its dependents (Azure Batch ExitConditions):
// the first matching rule of exitConditions wins, in Azure's order: a pre-processing error
// (the command never ran), a file upload error, the exit code, an exit code range, default.
// What a rule leaves out takes Azure's defaults: for a success jobAction None and
// dependencyAction Satisfy, for anything else Terminate and Block.
import type { ExitConditions, ExitOptions } from "../../../api/exit-conditions.ts";
import { containerConfigError, containerImagePullFailed, fileUploadError, jobPreparationTaskFailed, nodeDeallocated, resourceFileDownloadFailed, taskEnded } from "../../../api/failure-codes.ts";

export type JobAction = "None" | "Disable" | "Terminate";
export type DependencyAction = "Satisfy" | "Block";
export type ResolvedExitOptions = { jobAction: JobAction; dependencyAction: DependencyAction };

export type TaskEnd = { result?: "Success" | "Failure"; exitCode?: number; failureCode?: string };

/** Failure codes reported when the command line never ran. */
const preProcessingCodes = new Set([resourceFileDownloadFailed, jobPreparationTaskFailed, containerImagePullFailed, containerConfigError]);

/** Ends the operator itself decided (job terminated or disabled, node gone): never a reason for a job action. */
const operatorEndCodes = new Set([taskEnded, nodeDeallocated]);

export function resolveExitOptions(conditions: ExitConditions | undefined, end: TaskEnd): ResolvedExitOptions {
  const success = end.result === "Success";
  if (end.failureCode && operatorEndCodes.has(end.failureCode)) return { jobAction: "None", dependencyAction: "Block" };
  const defaults: ResolvedExitOptions = success ? { jobAction: "None", dependencyAction: "Satisfy" } : { jobAction: "Terminate", dependencyAction: "Block" };
  const matched = matchingRule(conditions, end);
  return { jobAction: matched?.jobAction ?? defaults.jobAction, dependencyAction: matched?.dependencyAction ?? defaults.dependencyAction };
}

function matchingRule(c: ExitConditions | undefined, end: TaskEnd): ExitOptions | undefined {
  if (!c) return undefined;
  if (end.failureCode && preProcessingCodes.has(end.failureCode)) return c.preProcessingError ?? c.default;
  if (end.failureCode === fileUploadError) return c.fileUploadError ?? c.default;
  const code = end.exitCode;
  if (code !== undefined) {
    const exact = c.exitCodes?.find((e) => e.code === code);
    if (exact) return exact.exitOptions;
    const range = c.exitCodeRanges?.find((r) => r.start <= code && code <= r.end);
    if (range) return range.exitOptions;
  }
  // default covers failures not matched above; a success with no rule keeps the defaults.
  return end.result === "Success" ? undefined : c.default;
}
