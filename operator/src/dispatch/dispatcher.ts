// The scheduler's writes for one pool: tasks of lost nodes go back to the queue (or fail,
// under nodeDeallocationOption Terminate), then the plan's assignments are written as the
// Task's node label with the resourceVersion the plan was made from. A conflict means the
// cache was stale: the assumption is dropped and the next event brings a fresh plan.
import { randomUUID } from "node:crypto";
import { GROUP, VERSION } from "../../../api/group.ts";
import { forEachBounded } from "../../../kube/bounded.ts";
import { taskNames } from "../../../api/task.ts";
import type { Outcome } from "../controller/work-queue.ts";
import { fieldManager, mergePatch, type CustomObjectPatches } from "../../../kube/apply.ts";
import { ignoreConflictOrGone, isConflictOrGone } from "../../../kube/errors.ts";
import type { DispatchState, TaskEntry } from "./dispatch-state.ts";
import { assignmentAnnotation, nodeLabel } from "../../../api/labels.ts";
import { makeTaskWrites } from "./task-writes.ts";
import { nodeDeallocated } from "../../../api/failure-codes.ts";

export type DispatcherDeps = {
  state: DispatchState;
  custom: CustomObjectPatches;
  /** The pool's nodeDeallocationOption, for tasks whose node is gone. */
  deallocation: (poolKey: string) => string | undefined;
  log: (line: string) => void;
  /** Called with every assignment written, for metrics and latency. */
  onAssigned?: (task: TaskEntry, node: string) => void;
  onRequeued?: (task: TaskEntry) => void;
  now?: () => Date;
};

const concurrency = 32;

export function makeDispatcher(deps: DispatcherDeps): (poolKey: string) => Promise<Outcome> {
  const now = deps.now ?? (() => new Date());
  const writes = makeTaskWrites(deps.custom, now);
  const ref = (t: TaskEntry) => ({ group: GROUP, version: VERSION, plural: taskNames.plural, namespace: t.namespace, name: t.name, fieldManager });

  async function release(task: TaskEntry, option: string | undefined): Promise<void> {
    const ran = task.reportedNode === task.node && task.state !== "Active";
    if (option === "Terminate" && ran) {
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
    try {
      await deps.custom.patchNamespacedCustomObject({ ...ref(task), body: { metadata: { resourceVersion: task.resourceVersion, labels: { [nodeLabel]: node }, annotations: { [assignmentAnnotation]: randomUUID() } } } }, mergePatch);
      deps.onAssigned?.(task, node);
    } catch (err) {
      // Undo the assumption unless the informer has already replaced the entry.
      const current = deps.state.tasks.get(task.key);
      if (current && current.resourceVersion === task.resourceVersion && current.node === node) deps.state.upsertTask(task);
      if (!isConflictOrGone(err)) throw err;
    }
  }

  // What each blocked task was last told, so it is told again only when that changes (e.g.
  // once when it starts waiting, once more if a dependency fails). The agent clears the
  // condition when the task runs.
  const told = new Map<string, string>();
  async function explainBlocked(poolKey: string): Promise<void> {
    for (const { task, reason, message } of deps.state.blockedTasks(poolKey)) {
      const said = `${reason}:${message}`;
      if (told.get(task.key) === said) continue;
      await deps.custom
        .patchNamespacedCustomObjectStatus(
          { ...ref(task), body: { status: { conditions: [{ type: "Schedulable", status: "False", reason, message: message.slice(0, 1024), lastTransitionTime: now().toISOString() }] } } },
          mergePatch,
        )
        .then(() => void told.set(task.key, said), ignoreConflictOrGone);
    }
    if (told.size > 100_000) told.clear();
  }

  return async function dispatch(poolKey: string): Promise<Outcome> {
    const orphans = deps.state.orphanedTasks(poolKey);
    const option = deps.deallocation(poolKey);
    for (const task of orphans) await release(task, option).catch(ignoreConflictOrGone);
    await explainBlocked(poolKey);
    const plan = deps.state.plan(poolKey);
    await forEachBounded(plan, concurrency, (a) => assign(a.task, a.node));
    return;
  };
}
