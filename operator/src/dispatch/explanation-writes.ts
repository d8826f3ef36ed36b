// Writes why tasks wait (the Schedulable=False conditions explanationsDue chose): the scheduler's
// reasons for its pools' tasks, the job controller's JobNotFound for tasks of no job. A write
// carries the resourceVersion the decision was made from (the conditions list is replaced
// whole); until the task's event comes back, the cache is assumed to hold what was written, so
// the next pass does not write it again.
import { forEachBounded } from "../../../kube/bounded.ts";
import { mergePatch, type CustomObjectWrites } from "../../../kube/apply.ts";
import { isConflictOrGone } from "../../../kube/errors.ts";
import { failpoint } from "../../../kube/failpoint.ts";
import type { Explanation } from "./blocked-explanation.ts";
import type { DispatchState } from "./dispatch-state.ts";
import { entryRef } from "./task-writes.ts";

const concurrency = 32;

/** Writes each explanation (a conflict or a task gone is skipped: its event brings the next decision); throws the first other failure. */
export async function writeExplanations(deps: { custom: CustomObjectWrites; state: DispatchState }, due: readonly Explanation[], onWritten?: (e: Explanation) => void): Promise<void> {
  let failure: unknown;
  await forEachBounded(due, concurrency, async (e) => {
    const { task, conditions } = e;
    try {
      const res = (await deps.custom.patchNamespacedCustomObjectStatus(
        { ...entryRef(task), body: { metadata: { resourceVersion: task.resourceVersion }, status: { conditions } } },
        mergePatch,
      )) as { metadata?: { resourceVersion?: string } } | undefined;
      failpoint("dispatch.during-explanations");
      if (deps.state.tasks.get(task.key) === task) deps.state.upsertTask({ ...task, conditions, resourceVersion: res?.metadata?.resourceVersion ?? task.resourceVersion });
      onWritten?.(e);
    } catch (err) {
      if (!isConflictOrGone(err)) failure ??= err;
    }
  });
  if (failure !== undefined) throw failure;
}
