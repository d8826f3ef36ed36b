// Completed tasks deleted after their constraints.retentionTime, with the job's counts kept
// exact across the deletion and any crash (pure). As the Kubernetes Job controller counts pods
// through status.uncountedTerminatedPods: a batch is first counted in deletedTaskCounts and named
// in retiringTasks (one status write), then deleted; while a named task is still cached the
// counts leave it out, and the batch is cleared once all of it is gone. A crash between the
// write and the deletes only means deleting them again.
import type { JobStatus } from "../../../api/job.ts";
import { itemCounts, type JobTaskCounts, type TaskEntry } from "../dispatch/dispatch-state.ts";

export type RetiringTask = NonNullable<JobStatus["retiringTasks"]>[number];

export type RetentionInput = {
  /** The job's status as cached (what the last write stored). */
  previous: JobStatus | undefined;
  /** The job's counts from the cache (DispatchState.countsOfJob). */
  counts: JobTaskCounts;
  /** A cached task of the job by name. */
  cached: (name: string) => TaskEntry | undefined;
  /** Tasks due for deletion now (DispatchState.retirementCandidates). */
  candidates: TaskEntry[];
};

export type RetentionPlan = {
  /** The counts to report: the cached ones without the retiring tasks, plus the deleted ones. */
  counts: JobTaskCounts;
  deletedTaskCounts?: NonNullable<JobStatus["deletedTaskCounts"]>;
  retiringTasks?: RetiringTask[];
  /** Tasks to delete once the status is written. */
  toDelete: RetiringTask[];
  /** Whether the status write carries a new batch or clears one (it must not be made from a stale cache). */
  changesBatch: boolean;
};

export function retentionPlan(input: RetentionInput): RetentionPlan {
  const { previous } = input;
  const before = previous?.retiringTasks ?? [];
  const deleted = { succeeded: previous?.deletedTaskCounts?.succeeded ?? 0, failed: previous?.deletedTaskCounts?.failed ?? 0 };
  const present = (r: RetiringTask) => {
    const e = input.cached(r.name);
    return e !== undefined && e.uid === r.uid ? e : undefined;
  };
  const left = before.filter((r) => present(r) !== undefined);
  let retiring: RetiringTask[];
  let toDelete: RetiringTask[];
  if (left.length > 0) {
    // The last batch is not all gone: delete the rest again, start no other.
    retiring = before;
    toDelete = left;
  } else {
    const batch = input.candidates.filter((t) => t.uid !== undefined);
    retiring = batch.map((t) => ({ name: t.name, uid: t.uid! }));
    toDelete = retiring;
    for (const t of batch) deleted[t.result === "Success" ? "succeeded" : "failed"]++;
  }

  const counts = { ...input.counts };
  for (const r of retiring) {
    const e = present(r);
    if (!e) continue;
    const c = itemCounts(e);
    counts.active -= c.active;
    counts.running -= c.running;
    counts.succeeded -= c.succeeded;
    counts.failed -= c.failed;
    counts.total -= c.total;
  }
  counts.succeeded += deleted.succeeded;
  counts.failed += deleted.failed;
  counts.total += deleted.succeeded + deleted.failed;

  const anyDeleted = deleted.succeeded + deleted.failed > 0;
  return {
    counts,
    deletedTaskCounts: anyDeleted ? deleted : previous?.deletedTaskCounts,
    // Once there was a batch, an empty list says it is done (a merge patch keeps an absent field).
    retiringTasks: retiring.length > 0 ? retiring : previous?.retiringTasks !== undefined ? [] : undefined,
    toDelete,
    changesBatch: retiring !== before && (retiring.length > 0 || before.length > 0),
  };
}
