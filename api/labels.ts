// Every label, annotation and finalizer key kubatch writes, defined once (readers and writers
// import them from here). The values are what the cluster holds: renaming one is an API change.

// --- Tasks
/** The node a task is assigned to: the operator's single assignment record, in the Task's labels. */
export const nodeLabel = "kubatch.dev/node";
/**
 * Written with the node label, in the same patch: which assignment this is. A task requeued
 * and assigned to the same node again gets a new value, so the agent never mistakes the new
 * assignment for the run it already made (nor reports an old run's result into it).
 */
export const assignmentAnnotation = "kubatch.dev/assignment";
/** On a task whose exit conditions disabled its job: the action was applied (once per completion). */
export const jobActionAppliedAnnotation = "kubatch.dev/job-action-applied";
/** On a chunk: how many of its listed failures the job reconciler has applied the exit conditions' job action of. */
export const itemJobActionsAppliedAnnotation = "kubatch.dev/item-job-actions-applied";
/** On the job manager Task the job reconciler creates: the job's name. */
export const jobManagerLabel = "kubatch.dev/job-manager";
/** On a Job: the uid of the RoleBinding of the job token the operator made for it, then `revoked` (operator/src/job-token). */
export const jobTokenAnnotation = "kubatch.dev/job-token";
export const jobTokenRevoked = "revoked";
/** On a Task that may run on dedicated nodes only ("true"): a job manager with allowLowPriorityNode false. */
export const dedicatedNodeOnlyAnnotation = "kubatch.dev/dedicated-node-only";
/**
 * On Tasks and TaskCollections `kubatch task add` creates: the job they were added to, for `kubectl get ktask -l`.
 * Only a convenience for people: tasks from manifests lack it, so kubatch reads spec.jobName.
 * Same key as containerPodJobLabel, on another kind.
 */
export const addedTaskJobLabel = "kubatch.dev/job";

// --- Jobs
/** On every job a work item created: the work item's name. */
export const workItemLabel = "kubatch.dev/work-item";

// --- Pools and their node pods
export const poolLabel = "kubatch.dev/pool";
export const nodeTypeLabel = "kubatch.dev/node-type";
/**
 * On a node pod whose scheduling is disabled (Azure Batch "disable scheduling", `kubatch node
 * disable-scheduling`): no new task goes there; the value says what happens to the running
 * ones — Requeue, Terminate or TaskCompletion (they finish). Removed to enable it again.
 */
export const schedulingDisabledAnnotation = "kubatch.dev/scheduling-disabled";
export const schedulingDisableOptions = ["Requeue", "Terminate", "TaskCompletion"] as const;
export type SchedulingDisableOption = (typeof schedulingDisableOptions)[number];
/** The option a node pod's annotation names, if its scheduling is disabled (an unknown value reads as TaskCompletion: nothing is stopped). */
export function schedulingDisabled(annotations: Record<string, string> | undefined): SchedulingDisableOption | undefined {
  // A node to be removed or reimaged takes no new task either; its running ones go as that
  // says, whatever an earlier disable-scheduling said (the later, stronger request).
  const leaving = removalRequested(annotations) ?? reimageRequested(annotations);
  if (leaving !== undefined) return leaving === "RetainedData" ? "TaskCompletion" : leaving;
  return annotationOption(annotations, schedulingDisabledAnnotation, schedulingDisableOptions);
}

/** The option a node pod's request annotation names; an unknown value reads as TaskCompletion (nothing is stopped); absent: no request. */
function annotationOption<O extends string>(annotations: Record<string, string> | undefined, key: string, options: readonly O[]): O | "TaskCompletion" | undefined {
  const v = annotations?.[key];
  if (v === undefined) return undefined;
  return (options as readonly string[]).includes(v) ? (v as O) : "TaskCompletion";
}
/**
 * On a Task: terminate it (Azure Batch "terminate task"), the value being the reason (may be
 * empty). The operator completes it as failed with TaskEnded, its agent stops the process, and
 * the Task stays as the record. An annotation, not spec: a running task's spec is fixed.
 */
export const terminateAnnotation = "kubatch.dev/terminate";
/**
 * On a node pod, written by its own agent for a start task without waitForSuccess (which runs
 * in the tasks container, not as an init container whose status the kubelet reports): the
 * start task's startTaskInfo as JSON (api/pool.ts startTaskInfoSchema). An admission policy
 * lets the agent change this annotation of its own pod and nothing else (admission-policy.ts).
 */
export const startTaskInfoAnnotation = "kubatch.dev/start-task-info";
/**
 * On a node pod: remove this node from the pool (Azure Batch "remove nodes", `kubatch node
 * remove`), the value being its deallocation option. The pool's target must come down by one
 * too (the CLI does both): the node leaves before any other, once its tasks are requeued (Requeue),
 * ended (Terminate) or done (TaskCompletion, RetainedData); no new task goes there meanwhile.
 */
export const removeNodeAnnotation = "kubatch.dev/remove";
/** Set by `kubatch node remove` once the pool's target came down for the node, so a rerun after a failure counts it once. */
export const removeCountedAnnotation = "kubatch.dev/remove-counted";
export const nodeDeallocationOptions = ["Requeue", "Terminate", "TaskCompletion", "RetainedData"] as const;
export type NodeDeallocationOption = (typeof nodeDeallocationOptions)[number];
/** The deallocation option a node pod's removal names, if it is to be removed (an unknown value reads as TaskCompletion: nothing is stopped). */
export function removalRequested(annotations: Record<string, string> | undefined): NodeDeallocationOption | undefined {
  return annotationOption(annotations, removeNodeAnnotation, nodeDeallocationOptions);
}
/**
 * On a node pod: reimage this node (Azure Batch "reimage", `kubatch node reimage`), the value
 * being what happens to its tasks (a deallocation option). Like a removal it takes no new task
 * and its tasks are released first; then the operator deletes the pod and the pool's
 * Deployment makes a fresh one (a new node name: a node pod's identity is its pod).
 */
export const reimageAnnotation = "kubatch.dev/reimage";
/** The deallocation option a node pod's reimage names, if it is to be reimaged (an unknown value reads as TaskCompletion). */
export function reimageRequested(annotations: Record<string, string> | undefined): NodeDeallocationOption | undefined {
  return annotationOption(annotations, reimageAnnotation, nodeDeallocationOptions);
}
/** Set by the operator on a node pod chosen to leave the pool: no new tasks go there. */
export const leavingAnnotation = "kubatch.dev/leaving";
/** Hash of the desired Deployment, so an unchanged one is not applied again. */
export const specHashAnnotation = "kubatch.dev/spec-hash";
/** Kubernetes' own: which pods a shrinking ReplicaSet removes first. */
export const podDeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost";
export const poolFinalizer = "kubatch.dev/pool-nodes";
/** On an auto pool: the kind (Job or WorkItem) and name of the object it was created for. */
export const autoPoolOwnerKindLabel = "kubatch.dev/auto-pool-owner-kind";
export const autoPoolOwnerLabel = "kubatch.dev/auto-pool-owner";
/** Hash of the applied auto pool, so an unchanged one is not applied again on every job event. */
export const autoPoolHashAnnotation = "kubatch.dev/auto-pool-hash";

// --- Container tasks' Pods
/** On a container task's Pod: the Task it runs. */
export const containerPodTaskLabel = "kubatch.dev/task";
/** On a container task's Pod: its Task's job (the operator finds a job's Pods by it). */
export const containerPodJobLabel = "kubatch.dev/job";
/** Which attempt of the task the Pod runs (0 = first run, n = n-th retry). */
export const containerPodRetryLabel = "kubatch.dev/retry";
/**
 * The task's status.stateTransitionTime when the Pod was made: a task that went back to Active
 * since (requeued, reactivated) has a newer one, so its earlier Pods are told apart exactly.
 */
export const containerPodActiveSinceAnnotation = "kubatch.dev/task-active-since";
