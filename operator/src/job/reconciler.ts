// The Job reconciler: status (task counts, state, conditions) from the scheduler's cache, and
// the job operations Azure Batch has as API calls, here driven by the spec and the tasks:
// the job manager task is created, exit conditions' job actions are applied, a terminating
// job ends its tasks in flight, a disabling job requeues or ends them (disableTasks),
// maxWallClockTime is watched, and completed tasks are deleted after their retentionTime with
// the counts kept (task-retention.ts).
import type { KubernetesObject } from "@kubernetes/client-node";
import { poolIdOf } from "../../../api/pool-id.ts";
import { forEachBounded } from "../../../kube/bounded.ts";
import { reportInvalidSpec } from "../controller/invalid-spec.ts";
import { GROUP, VERSION } from "../../../api/group.ts";
import { jobNames, maxRetiringTasks, parseJob, type Job, type JobStatus } from "../../../api/job.ts";
import { formatProblems } from "../../../api/parse.ts";
import { taskNames } from "../../../api/task.ts";
import type { Outcome } from "../controller/work-queue.ts";
import type { DispatchState, ItemJobAction, TaskEntry } from "../dispatch/dispatch-state.ts";
import { collectionChunkNames } from "../../../api/collection-chunk.ts";
import { taskCollectionNames } from "../../../api/task-collection.ts";
import { addedTaskJobLabel, itemJobActionsAppliedAnnotation, jobActionAppliedAnnotation } from "../../../api/labels.ts";
import type { TaskWrites } from "../dispatch/task-writes.ts";
import { controllerRef, fieldManager, jobOwnerRef, mergePatch, type CustomObjectWrites, type Writer } from "../../../kube/apply.ts";
import { ignoreConflictOrGone } from "../../../kube/errors.ts";
import type { EventRecorder } from "../../../kube/events.ts";
import type { Cache } from "../pool/reconciler.ts";
import { jobManagerTask, jobManagerTaskName } from "./job-manager.ts";
import { explanationsDue } from "../dispatch/blocked-explanation.ts";
import { writeExplanations } from "../dispatch/explanation-writes.ts";
import { jobStatus, statusEvents, wallClockDeadline, type EndRequest } from "./job-status.ts";
import { retentionPlan } from "./task-retention.ts";
import { taskEnded } from "../../../api/failure-codes.ts";
import type { JobObject } from "../../../kube/objects.ts";


export type JobReconcilerDeps = {
  jobs: Cache<JobObject>;
  pools: Cache<KubernetesObject>;
  state: DispatchState;
  writer: Writer;
  writes: TaskWrites;
  custom: CustomObjectWrites;
  events: EventRecorder;
  log: (line: string) => void;
  now?: () => Date;
};

/** Task writes in flight at once (as many as the dispatcher's assignments). */
const concurrency = 32;
/** Tasks (and collections) given their owner reference per pass; a task event brings the next pass soon anyway. */
const maxAdoptionsPerPass = 256;
/**
 * A waiting task is adopted here only once it waited this long: one the scheduler assigns gets
 * the owner with its assignment (no write of its own, no conflict with that one).
 */
const adoptAfterMs = 10_000;

const chunkRef = (c: TaskEntry) => ({ group: GROUP, version: VERSION, plural: collectionChunkNames.plural, namespace: c.namespace, name: c.name, fieldManager });

/** Whose exit conditions ask for a job action, and how it ended (for the job's messages). */
const taskSaid = (t: TaskEntry) => `task ${t.name} ${t.exitCode !== undefined ? `exited with code ${t.exitCode}` : `ended with ${t.result ?? "Failure"}`}`;
const itemSaid = (i: ItemJobAction) =>
  `item ${i.failure.id} of task collection ${i.chunk.chunk?.collection.split("/")[1] ?? ""} ${i.failure.exitCode !== undefined ? `exited with code ${i.failure.exitCode}` : `failed (${i.failure.failureCode ?? "Failure"})`}`;

export function makeJobReconciler(deps: JobReconcilerDeps): (key: string) => Promise<Outcome> {
  const now = deps.now ?? (() => new Date());
  const taskRef = (t: TaskEntry) => ({ group: GROUP, version: VERSION, plural: taskNames.plural, namespace: t.namespace, name: t.name, fieldManager });

  /**
   * Disable asked by exit conditions — `who` says whose and how it ended — like Azure's disable
   * call with disableTasks Requeue; then each asker is marked as applied: a task once per
   * completion, a chunk with how many of its listed failures were acted on.
   */
  async function applyDisable(raw: JobObject, job: Job, who: string, tasks: TaskEntry[], items: ItemJobAction[]): Promise<void> {
    const ref = { group: GROUP, version: VERSION, plural: jobNames.plural, namespace: job.metadata.namespace ?? "", name: job.metadata.name, fieldManager };
    if (!job.spec.disabled) {
      await deps.custom.patchNamespacedCustomObject({ ...ref, body: { spec: { disabled: true, disableTasks: "Requeue" } } }, mergePatch);
      deps.events.record(raw, "Warning", "JobDisabledByTask", `${who}; its exitConditions say jobAction Disable: spec.disabled set (disableTasks Requeue); set spec.disabled false to enable the job`);
    }
    const chunks = new Map(items.map((i) => [i.chunk.key, i]));
    // No resourceVersion precondition: a running chunk reports every few seconds (a conflict each
    // time), and its listed failures only grow, so marking the first `listed` applied stays true.
    for (const { chunk, listed } of chunks.values()) {
      await deps.custom
        .patchNamespacedCustomObject({ ...chunkRef(chunk), body: { metadata: { annotations: { [itemJobActionsAppliedAnnotation]: String(listed) } } } }, mergePatch)
        .catch(ignoreConflictOrGone);
    }
    for (const task of tasks) {
      await deps.custom
        .patchNamespacedCustomObject({ ...taskRef(task), body: { metadata: { resourceVersion: task.resourceVersion, annotations: { [jobActionAppliedAnnotation]: task.endTime ?? "" } } } }, mergePatch)
        .catch(ignoreConflictOrGone);
    }
  }

  /**
   * Tasks naming a job that does not exist (not yet, or deleted) wait: each says so once
   * (Schedulable=False JobNotFound and a Warning event), a bounded number per pass; the
   * scheduler's reasons or the agent replace it once the job is there.
   */
  function explainNoJob(namespace: string, name: string): Promise<Outcome> {
    return explainWaiting(namespace, name, "JobNotFound", `job ${name} does not exist in namespace ${namespace} (spec.jobName); the task waits until it does`);
  }

  /** Tells the job's tasks that have not started (and are valid) why they wait: the condition and a Warning event, once each. */
  async function explainWaiting(namespace: string, name: string, reason: "JobNotFound" | "JobCompleted", message: string): Promise<Outcome> {
    const inFlight = new Set(deps.state.inFlightTasksOfJob(`${namespace}/${name}`).map((t) => t.key));
    const waiting = deps.state.tasksOfJob(`${namespace}/${name}`).filter((t) => !t.completed && !t.invalid && !inFlight.has(t.key));
    const { due, more } = explanationsDue(waiting.map((task) => ({ task, reason, message })), now());
    await writeExplanations(deps, due, ({ task }) => deps.events.record({ apiVersion: `${GROUP}/${VERSION}`, kind: taskNames.kind, metadata: { name: task.name, namespace, uid: task.uid } }, "Warning", reason, message));
    return more ? { requeueAfterMs: 1_000 } : undefined;
  }

  /**
   * The job's tasks and collections with no owner reference (applied with kubectl or GitOps;
   * the CLI sets it when it creates them) get the job as their controller owner, a bounded
   * number per pass — tasks completed, or waiting for 10 s (the scheduler's assignment carries
   * it otherwise): deleting the job deletes them (garbage collection), as Azure Batch's job
   * delete does, and a job created again under the name never adopts an old one's results.
   * Objects with another owner are left as they are. Returns when to look again, if some are left.
   */
  async function adopt(raw: JobObject, key: string): Promise<number | undefined> {
    const owner = jobOwnerRef(raw.metadata?.name ?? "", raw.metadata?.uid ?? "");
    const at = now().getTime();
    const { tasks, collections, earliestWaiting } = deps.state.unownedOfJob(key, maxAdoptionsPerPass, at - adoptAfterMs);
    const body = (resourceVersion: string | undefined) => ({ metadata: { resourceVersion, ownerReferences: [owner], labels: { [addedTaskJobLabel]: raw.metadata?.name ?? "" } } });
    await forEachBounded(tasks, concurrency, (t) => deps.custom.patchNamespacedCustomObject({ ...taskRef(t), body: body(t.resourceVersion) }, mergePatch).catch(ignoreConflictOrGone));
    await forEachBounded(collections, concurrency, (c) =>
      deps.custom
        .patchNamespacedCustomObject({ group: GROUP, version: VERSION, plural: taskCollectionNames.plural, namespace: raw.metadata?.namespace ?? "", name: c.key.split("/")[1] ?? "", fieldManager, body: body(c.resourceVersion) }, mergePatch)
        .catch(ignoreConflictOrGone),
    );
    if (tasks.length + collections.length >= maxAdoptionsPerPass) return 1_000;
    return earliestWaiting === undefined ? undefined : Math.max(1_000, earliestWaiting + adoptAfterMs - at);
  }

  return async function reconcile(key: string): Promise<Outcome> {
    const [namespace, name] = key.split("/") as [string, string];
    const raw = deps.jobs.get(name, namespace);
    if (!raw) return explainNoJob(namespace, name);
    const ref = { group: GROUP, version: VERSION, plural: jobNames.plural, namespace, name };
    const parsed = parseJob(raw);
    if (!parsed.ok) {
      await reportInvalidSpec(deps, raw, ref, "Completed", formatProblems(parsed.problems), now());
      return;
    }
    let job = parsed.value;
    const poolId = poolIdOf(job);
    const live = raw.status?.state !== "Completed" && raw.status?.state !== "Terminating";

    const jm = job.spec.jobManagerTask;
    const jmEntry = jm ? deps.state.tasks.get(`${namespace}/${jobManagerTaskName(name, jm.id)}`) : undefined;
    if (jm && !jmEntry && live && !raw.metadata?.deletionTimestamp) {
      // An auto pool does not exist yet when the job starts: its spec says the node size.
      const slotsPerNode = deps.state.pools.get(`${namespace}/${poolId}`)?.slotsPerNode ?? job.spec.poolInfo.autoPoolSpecification?.pool.taskSlotsPerNode;
      const desired = jobManagerTask(job, controllerRef(raw), slotsPerNode);
      if (desired && !raw.status?.executionInfo?.startTime) {
        // Created once, when the job starts; a user who deletes it later is not overruled.
        await deps.writer.apply(desired as KubernetesObject);
        deps.events.record(raw, "Normal", "JobManagerTaskCreated", `created task ${desired.metadata.name} for jobManagerTask ${jm.id}`);
      }
    }

    let endRequest: EndRequest | undefined;
    let disabledHere = false;
    if (jm?.killJobOnCompletion && jmEntry?.completed) endRequest = { reason: "JMComplete", detail: `job manager task ${jm.id} completed (${jmEntry.result ?? "Failure"})` };
    if (job.spec.onTaskFailure === "PerformExitOptionsJobAction" && live) {
      const asked = deps.state.jobActionTasks(key);
      const items = deps.state.jobActionItems(key);
      const terminateBy = asked.find((t) => t.jobAction === "Terminate");
      const terminateItem = items.find((i) => i.jobAction === "Terminate");
      const terminator = terminateBy ? taskSaid(terminateBy) : terminateItem ? itemSaid(terminateItem) : undefined;
      if (terminator) endRequest ??= { reason: "TaskFailed", detail: `${terminator}; its exitConditions say jobAction Terminate` };
      const disableBy = asked.filter((t) => t.jobAction === "Disable");
      const disableItems = items.filter((i) => i.jobAction === "Disable");
      if ((disableBy.length > 0 || disableItems.length > 0) && !endRequest) {
        await applyDisable(raw, job, disableItems[0] ? itemSaid(disableItems[0]) : taskSaid(disableBy[0]!), disableBy, disableItems);
        // Status (and the tasks in flight) in this pass, from the spec as just written: its update event may be a while.
        if (!job.spec.disabled) {
          job = { ...job, spec: { ...job.spec, disabled: true, disableTasks: "Requeue" } };
          disabledHere = true;
        }
      }
    }

    const retention = retentionPlan({
      previous: job.status,
      counts: deps.state.countsOfJob(key),
      cached: (task) => deps.state.tasks.get(`${namespace}/${task}`),
      candidates: deps.state.retirementCandidates(key, now().getTime(), maxRetiringTasks, job.spec.onTaskFailure === "PerformExitOptionsJobAction" && live),
    });
    const status: JobStatus = {
      ...jobStatus({ job, counts: retention.counts, poolExists: deps.pools.get(poolId, namespace) !== undefined, now: now(), endRequest }),
      deletedTaskCounts: retention.deletedTaskCounts,
      retiringTasks: retention.retiringTasks,
    };
    const reason = status.executionInfo?.terminateReason;
    // The scheduler learns of the new state from the status (or spec) event; until then it
    // must not start another task of a job that ends or was disabled here.
    const ending = status.state === "Terminating" || status.state === "Completed";
    const entry = deps.state.jobs.get(key);
    if (entry?.schedulable && (ending || disabledHere)) deps.state.upsertJob({ ...entry, schedulable: false });
    const inFlight = deps.state.inFlightTasksOfJob(key);
    if (ending || (status.state === "Disabling" && job.spec.disableTasks === "Terminate")) {
      // Completed too: a task that started in the instant the job completed is ended as well.
      const message = ending ? `the job is being terminated (${reason})` : "the job was disabled with disableTasks Terminate";
      await forEachBounded(inFlight, concurrency, (task) => deps.writes.end(task, { category: "UserError", code: taskEnded, message }).catch(ignoreConflictOrGone));
    } else if (status.state === "Disabling" && job.spec.disableTasks === "Requeue") {
      await forEachBounded(inFlight, concurrency, (task) => deps.writes.requeue(task).catch(ignoreConflictOrGone));
    }

    for (const e of statusEvents(job, status)) deps.events.record(raw, e.type, e.reason, e.message);
    // A new or cleared batch of deleted tasks must not be counted from a stale job: 409, then again.
    await deps.writer.patchStatus(retention.changesBatch ? { ...ref, resourceVersion: raw.metadata?.resourceVersion } : ref, raw.status, status);
    await forEachBounded(retention.toDelete, concurrency, (task) => deps.writes.retire({ namespace, ...task }));
    const adoptAgain = raw.metadata?.deletionTimestamp ? undefined : await adopt(raw, key);

    // Azure Batch refuses a task added to a completed job (JobCompleted); here it is an object
    // already, so it says why it never runs.
    if (status.state === "Completed") {
      const told = await explainWaiting(namespace, name, "JobCompleted", `job ${name} completed (${reason}): its tasks that had not started never run`);
      if (told) return told;
    }
    if (status.state === "Enabling") return { requeueAfterMs: 50 };

    const at = now().getTime();
    // The wall clock matters only until something ends the job.
    const deadline = ending ? undefined : wallClockDeadline({ ...job, status });
    const wallClock = deadline === undefined ? undefined : Math.max(100, deadline - at);
    // Due tasks held back (a task that has not started depends on them) are looked at again in 10 s.
    const due = deps.state.nextRetirement(key);
    const retire = due === undefined ? undefined : due > at ? due - at : retention.toDelete.length > 0 ? 1_000 : 10_000;
    const after = Math.min(wallClock ?? Infinity, retire ?? Infinity, adoptAgain ?? Infinity);
    return after === Infinity ? undefined : { requeueAfterMs: after };
  };
}
