import assert from "node:assert/strict";
import { test } from "node:test";
import type { ExitConditions } from "../../../api/exit-conditions.ts";
import { resolveExitOptions, type ResolvedExitOptions, type TaskEnd } from "./exit-options.ts";

const rules: ExitConditions = {
  exitCodes: [
    { code: 0, exitOptions: { dependencyAction: "Block" } },
    { code: 3, exitOptions: { jobAction: "Disable" } },
    { code: 4, exitOptions: { jobAction: "None", dependencyAction: "Satisfy" } },
  ],
  exitCodeRanges: [{ start: 10, end: 19, exitOptions: { jobAction: "None" } }],
  preProcessingError: { jobAction: "Disable", dependencyAction: "Satisfy" },
  fileUploadError: { jobAction: "None" },
  default: { jobAction: "None", dependencyAction: "Satisfy" },
};

test("exit conditions resolve to Azure Batch's job and dependency actions", async (t) => {
  const cases: Record<string, { conditions?: ExitConditions; end: TaskEnd; want: ResolvedExitOptions }> = {
    "success without rules: None, Satisfy": { end: { result: "Success", exitCode: 0 }, want: { jobAction: "None", dependencyAction: "Satisfy" } },
    "failure without rules: Terminate, Block": { end: { result: "Failure", exitCode: 2 }, want: { jobAction: "Terminate", dependencyAction: "Block" } },
    "an exit code rule wins, defaults fill the rest": { conditions: rules, end: { result: "Failure", exitCode: 3 }, want: { jobAction: "Disable", dependencyAction: "Block" } },
    "exit code 0 may block its dependents": { conditions: rules, end: { result: "Success", exitCode: 0 }, want: { jobAction: "None", dependencyAction: "Block" } },
    "a failure may satisfy its dependents": { conditions: rules, end: { result: "Failure", exitCode: 4 }, want: { jobAction: "None", dependencyAction: "Satisfy" } },
    "a range matches inclusively": { conditions: rules, end: { result: "Failure", exitCode: 19 }, want: { jobAction: "None", dependencyAction: "Block" } },
    "anything else takes default": { conditions: rules, end: { result: "Failure", exitCode: 42 }, want: { jobAction: "None", dependencyAction: "Satisfy" } },
    "a resource file failure is a pre-processing error": {
      conditions: rules,
      end: { result: "Failure", exitCode: 1, failureCode: "ResourceFileDownloadFailed" },
      want: { jobAction: "Disable", dependencyAction: "Satisfy" },
    },
    // https://learn.microsoft.com/rest/api/batchservice/task/add#exitconditions (fileUploadError):
    // "If the Task exited with an exit code that was specified via exitCodes or exitCodeRanges, and
    // then encountered a file upload error, then the action specified by the exit code takes precedence."
    "a failed upload after a listed exit code: the exit code's rule": {
      conditions: rules,
      end: { result: "Failure", exitCode: 0, failureCode: "FileUploadError" },
      want: { jobAction: "None", dependencyAction: "Block" },
    },
    "a failed upload after exit 3 (listed: Disable): Disable, not fileUploadError's None": {
      conditions: rules,
      end: { result: "Failure", exitCode: 3, failureCode: "FileUploadError" },
      want: { jobAction: "Disable", dependencyAction: "Block" },
    },
    "a failed upload after a listed exit 0 whose rule says nothing: exit code 0's defaults (None, Satisfy)": {
      conditions: { exitCodes: [{ code: 0, exitOptions: {} }], fileUploadError: { jobAction: "Terminate" } },
      end: { result: "Failure", exitCode: 0, failureCode: "FileUploadError" },
      want: { jobAction: "None", dependencyAction: "Satisfy" },
    },
    "a failed upload after an exit code in a listed range: the range's rule": {
      conditions: rules,
      end: { result: "Failure", exitCode: 12, failureCode: "FileUploadError" },
      want: { jobAction: "None", dependencyAction: "Block" },
    },
    "a failed upload after an unlisted exit code: fileUploadError": {
      conditions: { ...rules, fileUploadError: { jobAction: "Disable" } },
      end: { result: "Failure", exitCode: 5, failureCode: "FileUploadError" },
      want: { jobAction: "Disable", dependencyAction: "Block" },
    },
    "no preProcessingError rule falls back to default": {
      conditions: { default: { jobAction: "Disable" } },
      end: { result: "Failure", failureCode: "ResourceFileDownloadFailed" },
      want: { jobAction: "Disable", dependencyAction: "Block" },
    },
    "a task the operator ended (job terminated) asks for nothing": { conditions: rules, end: { result: "Failure", failureCode: "TaskEnded" }, want: { jobAction: "None", dependencyAction: "Block" } },
    "a task whose node left asks for nothing": { end: { result: "Failure", failureCode: "NodeDeallocated" }, want: { jobAction: "None", dependencyAction: "Block" } },
    "a container whose config is refused is a pre-processing error": {
      conditions: rules,
      end: { result: "Failure", failureCode: "ContainerConfigError" },
      want: { jobAction: "Disable", dependencyAction: "Satisfy" },
    },
    "a success never takes default": { conditions: { default: { jobAction: "Terminate" } }, end: { result: "Success", exitCode: 0 }, want: { jobAction: "None", dependencyAction: "Satisfy" } },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, () => assert.deepEqual(resolveExitOptions(c.conditions, c.end), c.want));
  }
});
