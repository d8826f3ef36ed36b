// An auto pool outlives its job until the job's release tasks ran: Azure Batch keeps the job
// Terminating until then; here the job completes first (its tasks are over) and the pool's
// deletion waits. The nodes report each release outcome as an Event on the Job
// (JobReleaseTaskCompleted/Failed, "node <name>: …", see task-runner/src/agent/job-release.ts);
// the pool goes once every node of it that ran the job has reported, or when the release
// task's maxWallClockTime (plus a margin) has passed since the job ended — events are best
// effort, so the wait is bounded. Pure: the reconciler gathers what it needs.
import { parseDuration } from "../../../api/duration.ts";

export const releaseReasons = ["JobReleaseTaskCompleted", "JobReleaseTaskFailed"] as const;

/** Margin after the release's wall clock for its agent to report. */
const marginMs = 30_000;

export type ReleaseWaitInput = {
  /** The completed job (status.executionInfo.endTime) and its jobReleaseTask, if any. */
  job: { endTime?: string; release?: { maxWallClockTime?: string } };
  /** Nodes (node pod names) of the pool that ran the job's tasks and still exist. */
  ranOn: ReadonlySet<string>;
  /** Messages of the release events recorded on the job. */
  reported: readonly string[];
  now: Date;
};

/** The nodes still owing their release and how long to wait at most; undefined when the pool may go. */
export function pendingReleases(input: ReleaseWaitInput): { nodes: string[]; waitMs: number } | undefined {
  const { job } = input;
  if (!job.release || !job.endTime || input.ranOn.size === 0) return undefined;
  const deadline = Date.parse(job.endTime) + parseDuration(job.release.maxWallClockTime ?? "PT15M") + marginMs;
  const waitMs = deadline - input.now.getTime();
  if (waitMs <= 0) return undefined;
  const done = new Set(input.reported.map((m) => /^node (\S+?):/.exec(m)?.[1]).filter((n): n is string => n !== undefined));
  const nodes = [...input.ranOn].filter((n) => !done.has(n)).sort();
  return nodes.length > 0 ? { nodes, waitMs } : undefined;
}
