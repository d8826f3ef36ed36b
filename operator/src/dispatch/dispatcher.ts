// The scheduler's writes for one pool: tasks of lost nodes go back to the queue (or fail,
// under nodeDeallocationOption Terminate), as do tasks an agent gave back (the job's
// preparation failed on its node) and those of a node whose scheduling was disabled with
// Requeue (or Terminate: they fail); then the plan's assignments are written as the
// Task's node label with the resourceVersion the plan was made from. A conflict means the
// cache was stale: the assumption is dropped and the next event brings a fresh plan. Last,
// blocked tasks are told why they wait.
import { randomUUID } from "node:crypto";
import { forEachBounded } from "../../../kube/bounded.ts";
import type { Outcome } from "../controller/work-queue.ts";
import { jobOwnerRef, mergePatch, type CustomObjectWrites } from "../../../kube/apply.ts";
import { isConflictOrGone } from "../../../kube/errors.ts";
import type { DispatchState, ReleaseReason, TaskEntry } from "./dispatch-state.ts";
import { addedTaskJobLabel, assignmentAnnotation, nodeLabel } from "../../../api/labels.ts";
import { entryRef, makeTaskWrites } from "./task-writes.ts";
import { explanationsDue } from "./blocked-explanation.ts";
import { writeExplanations } from "./explanation-writes.ts";
import { nodeDeallocated, taskEnded } from "../../../api/failure-codes.ts";
import { failpoint } from "../../../kube/failpoint.ts";

export type DispatcherDeps = {
  state: DispatchState;
  custom: CustomObjectWrites;
  /** The pool's nodeDeallocationOption, for tasks whose node is gone. */
  deallocation: (poolKey: string) => string | undefined;
  log: (line: string) => void;
  /** Called with every assignment written, for metrics and latency. */
  onAssigned?: (task: TaskEntry, node: string) => void;
  onRequeued?: (task: TaskEntry) => void;
  now?: () => Date;
};

const concurrency = 32;
/** When explanations were left over, or a release lost a race, the next pass comes this soon even without an event. */
const explanationsRetryMs = 1_000;

export function makeDispatcher(deps: DispatcherDeps): (poolKey: string) => Promise<Outcome> {
  const now = deps.now ?? (() => new Date());
  const writes = makeTaskWrites(deps.custom, now);
  const ref = entryRef;

  async function release(task: TaskEntry, why: ReleaseReason, option: string | undefined): Promise<void> {
    if (why === "PreparationFailed") {
      // Never started there: back to the queue without counting a requeue.
      await writes.requeue(task);
      deps.log(`task ${task.key}: the job preparation task failed on node ${task.node}; back to the queue for another node`);
      return;
    }
    // Azure Batch "disable scheduling" on the node: its agent stops the process either way.
    if (why === "SchedulingDisabledTerminate" && !task.chunk) {
      await writes.end(task, { category: "UserError", code: taskEnded, message: `scheduling on node ${task.node} was disabled with Terminate` });
      deps.log(`task ${task.key}: scheduling on node ${task.node} disabled; terminated`);
      return;
    }
    if (why !== "NodeGone") {
      await writes.requeue(task);
      deps.onRequeued?.(task);
      deps.log(`task ${task.key}: scheduling on node ${task.node} disabled; requeued`);
      return;
    }
    const ran = task.reportedNode === task.node && task.state !== "Active";
    // A chunk always goes back: its items not done run elsewhere (each item's own retries are its task's).
    if (option === "Terminate" && ran && !task.chunk) {
      await writes.end(task, { category: "ServerError", code: nodeDeallocated, message: `node ${task.node} left the pool (nodeDeallocationOption Terminate)` });
      deps.log(`task ${task.key}: node ${task.node} is gone; terminated`);
      return;
    }
    await writes.requeue(task);
    deps.onRequeued?.(task);
    deps.log(`task ${task.key}: node ${task.node} is gone; requeued`);
  }

  async function assign(task: TaskEntry, node: string): Promise<void> {
    deps.state.upsertTask({ ...task, node });
    // A task with no owner (kubectl, GitOps) gets its job as owner in the same write (no write of its own, no race with this one).
    const jobUid = task.unowned && !task.chunk ? deps.state.jobs.get(task.jobKey)?.uid : undefined;
    const jobName = task.jobKey.split("/")[1] ?? "";
    const owner = jobUid ? { ownerReferences: [jobOwnerRef(jobName, jobUid)] } : {};
    // With its owner it gets the job label too, as the CLI's tasks have it (`kubectl get ktask -l kubatch.dev/job=J`).
    const labels = { [nodeLabel]: node, ...(jobUid ? { [addedTaskJobLabel]: jobName } : {}) };
    try {
      await deps.custom.patchNamespacedCustomObject({ ...ref(task), body: { metadata: { resourceVersion: task.resourceVersion, labels, annotations: { [assignmentAnnotation]: randomUUID() }, ...owner } } }, mergePatch);
      failpoint("dispatch.after-assign");
      deps.onAssigned?.(task, node);
    } catch (err) {
      // Undo the assumption unless the informer has already replaced the entry.
      const current = deps.state.tasks.get(task.key);
      if (current && current.resourceVersion === task.resourceVersion && current.node === node) deps.state.upsertTask(task);
      if (!isConflictOrGone(err)) throw err;
    }
  }

  // Why blocked tasks wait, decided from their cached conditions (blocked-explanation.ts), a
  // bounded number per pass (explanation-writes.ts). The agent clears the condition when the
  // task runs. Returns whether some were left for the next pass.
  async function explainBlocked(poolKey: string): Promise<boolean> {
    const { due, more } = explanationsDue(deps.state.blockedTasks(poolKey), now());
    await writeExplanations(deps, due);
    return more;
  }

  return async function dispatch(poolKey: string): Promise<Outcome> {
    const releases = deps.state.tasksToRelease(poolKey);
    const option = deps.deallocation(poolKey);
    // A release that lost a race (the lost node's agent still wrote, as a chunk's does every
    // few seconds until its container is killed) is tried again soon: no event may come.
    let raced = false;
    // Azure Batch "terminate task": completed as failed whatever it was doing; its agent (or
    // the container task's controller) stops the process. Never planned meanwhile.
    await forEachBounded(deps.state.tasksToTerminate(poolKey), concurrency, async (task) => {
      const message = task.terminateReason ? `the task was terminated: ${task.terminateReason}` : "the task was terminated";
      await writes.end(task, { category: "UserError", code: taskEnded, message }).then(
        () => deps.log(`task ${task.key}: terminated (${task.state}${task.node ? ` on node ${task.node}` : ""})`),
        (err: unknown) => {
          if (!isConflictOrGone(err)) throw err;
          raced = true;
        },
      );
    });
    for (const { task, why } of releases) {
      await release(task, why, option).catch((err: unknown) => {
        if (!isConflictOrGone(err)) throw err;
        raced = true;
      });
    }
    // Assignments first: explanations never hold up a task that can run.
    const plan = deps.state.plan(poolKey);
    await forEachBounded(plan, concurrency, (a) => assign(a.task, a.node));
    if ((await explainBlocked(poolKey)) || raced) return { requeueAfterMs: explanationsRetryMs };
    return;
  };
}
