// The operator's writes that take a task away from its node: back to the queue (requeue) or
// ended as failed (end). Both carry the resourceVersion the decision was made from, so a task
// that changed meanwhile is left alone (409, the next event brings a fresh decision). A task
// whose retentionTime ran out is deleted (retire) with its uid as the precondition. The
// agent stops the process when its task is no longer assigned to it or completed by us. A
// collection's chunk is taken away the same way; what its items did stays in its status.
import type { FailureInfo } from "../../../api/failure-info.ts";
import { GROUP, VERSION } from "../../../api/group.ts";
import { collectionChunkNames } from "../../../api/collection-chunk.ts";
import { taskNames } from "../../../api/task.ts";
import { completedConditions } from "../../../api/task-conditions.ts";
import { fieldManager, mergePatch, type CustomObjectWrites } from "../../../kube/apply.ts";
import type { TaskEntry } from "./dispatch-state.ts";
import { assignmentAnnotation, nodeLabel } from "../../../api/labels.ts";
import { failpoint } from "../../../kube/failpoint.ts";
import { ignoreConflictOrGone } from "../../../kube/errors.ts";

export type TaskWrites = {
  /** Back to Active without a node; counted as a requeue when it had started. */
  requeue(task: TaskEntry): Promise<void>;
  /** Completed with result Failure and this failureInfo; its process (if any) is stopped by its agent. */
  end(task: TaskEntry, failureInfo: FailureInfo): Promise<void>;
  /** Deleted for its retentionTime, only while it is the task with this uid; already gone is fine. */
  retire(task: { namespace: string; name: string; uid: string }): Promise<void>;
};

/** Where a scheduler entry lives: a Task, or a CollectionChunk. */
export const entryRef = (t: TaskEntry) => ({ group: GROUP, version: VERSION, plural: t.chunk ? collectionChunkNames.plural : taskNames.plural, namespace: t.namespace, name: t.name, fieldManager });

export function makeTaskWrites(custom: CustomObjectWrites, now: () => Date = () => new Date()): TaskWrites {
  const ref = entryRef;
  return {
    async requeue(task) {
      let resourceVersion = task.resourceVersion;
      if (task.state !== "Active" || task.reportedNode) {
        const at = now().toISOString();
        const res = (await custom.patchNamespacedCustomObjectStatus(
          {
            ...ref(task),
            body: {
              metadata: { resourceVersion },
              status: task.chunk
                ? // Its done items stay done: the next node goes on after them.
                  { state: "Active", nodeInfo: null, requeueCount: task.requeueCount + 1 }
                : {
                    state: "Active",
                    previousState: task.state,
                    stateTransitionTime: at,
                    nodeInfo: null,
                    executionInfo: { requeueCount: task.requeueCount + 1, lastRequeueTime: at },
                  },
            },
          },
          mergePatch,
        )) as { metadata: { resourceVersion: string } };
        resourceVersion = res.metadata.resourceVersion;
        // A crash here leaves the task Active and still labelled: the next operator removes the
        // label only (state Active, no nodeInfo), so the requeue is counted once.
        failpoint("requeue.between-writes");
      }
      await custom.patchNamespacedCustomObject({ ...ref(task), body: { metadata: { resourceVersion, labels: { [nodeLabel]: null }, annotations: { [assignmentAnnotation]: null } } } }, mergePatch);
    },
    async end(task, failureInfo) {
      const at = now().toISOString();
      await custom.patchNamespacedCustomObjectStatus(
        {
          ...ref(task),
          body: {
            metadata: { resourceVersion: task.resourceVersion },
            // A chunk's items not done stay uncounted as run (Active in the job's counts, as unstarted tasks).
            status: task.chunk
              ? { state: "Completed", conditions: null, endTime: at }
              : {
                  state: "Completed",
                  previousState: task.state,
                  stateTransitionTime: at,
                  conditions: completedConditions({ result: "Failure", failureInfo, at, generation: task.generation ?? 0 }),
                  executionInfo: { endTime: at, result: "Failure", failureInfo },
                },
          },
        },
        mergePatch,
      );
    },
    async retire(task) {
      await custom
        .deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: taskNames.plural, namespace: task.namespace, name: task.name, body: { preconditions: { uid: task.uid } } })
        .catch(ignoreConflictOrGone);
    },
  };
}
