import { objectName } from "./names.ts";
import type { CrossFieldRule } from "./rules.ts";

/** The Job an object belongs to (a Task, a TaskCollection): `jobName`, or its Azure Batch alias `jobId`. */
export function jobNameFields(what: string) {
  return {
    jobName: objectName(`Name of the Job (jobs.kubatch.dev) in the same namespace that the ${what} belongs to.`).max(63).optional(),
    jobId: objectName("Alias of jobName, for Azure Batch users.").max(63).optional(),
  };
}

/** One of jobName and jobId is required; when both are set they must be equal. */
export function jobNameRules<T extends { jobName?: string; jobId?: string }>(): CrossFieldRule<T>[] {
  return [
    {
      rule: "has(self.jobName) || has(self.jobId)",
      message: "jobName is required (or its alias jobId)",
      fieldPath: ".jobName",
      holds: (s) => s.jobName !== undefined || s.jobId !== undefined,
    },
    {
      rule: "!has(self.jobName) || !has(self.jobId) || self.jobName == self.jobId",
      message: "jobId is an alias of jobName: when both are set they must be equal",
      fieldPath: ".jobId",
      holds: (s) => s.jobName === undefined || s.jobId === undefined || s.jobName === s.jobId,
    },
  ];
}

/** The job a Task's or TaskCollection's spec names: jobName, else its alias jobId. */
export function jobNameOf(spec: { jobName?: string; jobId?: string } | undefined): string | undefined {
  return spec?.jobName ?? spec?.jobId;
}
