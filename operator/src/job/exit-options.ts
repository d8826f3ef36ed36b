// What a completed task means for its job and its dependents (Azure Batch ExitConditions):
// the first matching rule of exitConditions wins, in Azure's order: a pre-processing error
// (the command never ran), the exit code, an exit code range (these two before a file upload
// error that followed), a file upload error, default.
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
  if (end.failureCode && operatorEndCodes.has(end.failureCode)) return { jobAction: "None", dependencyAction: "Block" };
  const matched = matchingRule(conditions, end);
  // Azure's defaults: none and satisfy "for exit code 0", terminate and block for every other exit condition.
  const zero = end.result === "Success" || (matched?.byExitCode === true && end.exitCode === 0);
  const defaults: ResolvedExitOptions = zero ? { jobAction: "None", dependencyAction: "Satisfy" } : { jobAction: "Terminate", dependencyAction: "Block" };
  return { jobAction: matched?.options.jobAction ?? defaults.jobAction, dependencyAction: matched?.options.dependencyAction ?? defaults.dependencyAction };
}

function matchingRule(c: ExitConditions | undefined, end: TaskEnd): { options: ExitOptions; byExitCode?: boolean } | undefined {
  if (!c) return undefined;
  const found = (options: ExitOptions | undefined, byExitCode?: boolean) => (options ? { options, ...(byExitCode ? { byExitCode } : {}) } : undefined);
  if (end.failureCode && preProcessingCodes.has(end.failureCode)) return found(c.preProcessingError ?? c.default);
  const code = end.exitCode;
  if (code !== undefined) {
    // "If the Task exited with an exit code that was specified via exitCodes or exitCodeRanges,
    // and then encountered a file upload error, then the action specified by the exit code takes precedence."
    const exact = c.exitCodes?.find((e) => e.code === code);
    if (exact) return found(exact.exitOptions, true);
    const range = c.exitCodeRanges?.find((r) => r.start <= code && code <= r.end);
    if (range) return found(range.exitOptions, true);
  }
  if (end.failureCode === fileUploadError) return found(c.fileUploadError ?? c.default);
  // default covers failures not matched above; a success with no rule keeps the defaults.
  return end.result === "Success" ? undefined : found(c.default);
}
