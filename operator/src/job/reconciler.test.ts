import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubernetesObject } from "@kubernetes/client-node";
import { taskEnded } from "../../../api/failure-codes.ts";
import type { JobStatus } from "../../../api/job.ts";
import { itemJobActionsAppliedAnnotation, jobActionAppliedAnnotation, nodeLabel } from "../../../api/labels.ts";
import type { JobObject } from "../../../kube/objects.ts";
import { assertEvents, assertWrites, cache, fakeApi, FakeClock, type WantWrite } from "../controller/reconcile-harness.ts";
import type { Outcome } from "../controller/work-queue.ts";
import { DispatchState, type TaskEntry } from "../dispatch/dispatch-state.ts";
import { makeTaskWrites } from "../dispatch/task-writes.ts";
import { makeJobReconciler } from "./reconciler.ts";

const t0 = "2026-11-29T12:00:00.000Z";
const minutesAgo = (n: number) => new Date(Date.parse(t0) - n * 60_000).toISOString();

function job(spec: Record<string, unknown> = {}, status?: JobStatus): JobObject {
  return {
    apiVersion: "kubatch.dev/v1alpha1",
    kind: "Job",
    metadata: { name: "j", namespace: "ns", uid: "uid-j", generation: 1, creationTimestamp: new Date(minutesAgo(10)) },
    spec: { poolInfo: { poolId: "p" }, ...spec },
    status,
  } as JobObject;
}
const started = (extra: JobStatus = {}): JobStatus => ({ state: "Active", ...extra, executionInfo: { startTime: minutesAgo(10), ...extra.executionInfo } });

const pool = { apiVersion: "kubatch.dev/v1alpha1", kind: "Pool", metadata: { name: "p", namespace: "ns" } };
const inFlight = (name: string, extra: Partial<TaskEntry> = {}): Partial<TaskEntry> & { name: string } => ({ name, node: "n1", reportedNode: "n1", state: "Running", ...extra });
const done = (name: string, extra: Partial<TaskEntry> = {}): Partial<TaskEntry> & { name: string } => ({ name, completed: true, state: "Completed", result: "Success", ...extra });

/** Chunk 0 of collection "sweep": 10 items done, `failures` among them (`applied` of them acted on). */
const itemsChunk = (failures: { index: number; id: string; exitCode?: number }[], applied?: number): Partial<TaskEntry> & { name: string } => ({
  key: "CollectionChunk:ns/sweep-c0",
  name: "sweep-c0",
  resourceVersion: "4",
  completed: true,
  state: "Completed",
  chunk: { start: 0, count: 10, done: 10, succeeded: 10 - failures.length, failed: failures.length, failures, ...(applied !== undefined ? { actionsApplied: applied } : {}), collection: "ns/sweep" },
});

const jobStatusWrite = (body: object): WantWrite => ({ verb: "patchStatus", kind: "Job", name: "j", body: { status: body } });
const ended = (name: string): WantWrite => ({ verb: "patchStatus", kind: "Task", name, body: { status: { state: "Completed", executionInfo: { result: "Failure", failureInfo: { code: taskEnded } } } } });

test("the job reconciler: status, the job manager task, ending, disabling and exit-condition actions", async (t) => {
  const cases: Record<string, {
    job?: JobObject;
    poolExists?: boolean;
    tasks?: (Partial<TaskEntry> & { name: string })[];
    /** A collection "sweep" of the job, cut into its one chunk (itemsChunk). */
    collection?: { exitConditions?: object; unowned?: boolean };
    want: { writes: WantWrite[]; events?: string[]; outcome?: Outcome; schedulable?: boolean };
  }> = {
    "not in the cache: nothing": { want: { writes: [] } },
    "a spec the operator cannot use: Completed False InvalidSpec and a Warning": {
      job: job({ poolInfo: {} }),
      want: { writes: [jobStatusWrite({ conditions: [{ type: "Completed", status: "False", reason: "InvalidSpec" }] })], events: ["Warning InvalidSpec"] },
    },
    "a new job on an existing pool: Active, started now, PoolReady": {
      job: job(),
      want: {
        writes: [jobStatusWrite({ observedGeneration: 1, state: "Active", executionInfo: { startTime: t0, poolId: "p" }, conditions: [{ type: "PoolReady", status: "True" }, { type: "AllTasksComplete", status: "False" }, { type: "Completed", status: "False", reason: "JobActive" }] })],
      },
    },
    "its pool does not exist: PoolReady False and a Warning": {
      job: job(),
      poolExists: false,
      want: { writes: [jobStatusWrite({ conditions: [{ type: "PoolReady", status: "False", reason: "PoolNotFound" }] })], events: ["Warning PoolNotFound"] },
    },
    // Deleting the job deletes them (garbage collection), as Azure Batch's job delete does.
    "tasks and a collection without an owner reference (kubectl, GitOps): the job becomes their controller owner (a task the scheduler may still assign gets it with its assignment)": {
      job: job({}, started()),
      tasks: [
        { name: "a", unowned: true, resourceVersion: "7" },
        { name: "b" },
        done("c", { unowned: true }),
        inFlight("d", { unowned: true }),
        { name: "e", unowned: true, created: new Date(Date.parse(t0) - 5_000).toISOString() },
      ],
      collection: { unowned: true },
      want: {
        writes: [
          jobStatusWrite({ state: "Active", taskCounts: { active: 3, running: 1, completed: 1 } }),
          ...["a", "c"].map((name): WantWrite => ({ verb: "patch", kind: "Task", name, body: { metadata: { resourceVersion: name === "a" ? "7" : "1", ownerReferences: [{ apiVersion: "kubatch.dev/v1alpha1", kind: "Job", name: "j", uid: "uid-j", controller: true }], labels: { "kubatch.dev/job": "j" } } } })),
          { verb: "patch", kind: "TaskCollection", name: "sweep", body: { metadata: { resourceVersion: "3", ownerReferences: [{ kind: "Job", name: "j", uid: "uid-j", controller: true }] } } },
        ],
        outcome: { requeueAfterMs: 5_000 },
      },
    },
    "a job being deleted adopts nothing": {
      job: { ...job({}, started()), metadata: { ...job().metadata, deletionTimestamp: new Date(t0), finalizers: ["x"] } } as JobObject,
      tasks: [{ name: "a", unowned: true }],
      want: { writes: [jobStatusWrite({ state: "Active" })] },
    },
    "task counts follow the scheduler's state": {
      job: job({}, started()),
      tasks: [inFlight("a"), { name: "b" }, done("c"), done("d", { result: "Failure" })],
      want: { writes: [jobStatusWrite({ taskCounts: { active: 1, running: 1, completed: 2, succeeded: 1, failed: 1 } })] },
    },
    "a job manager task: created when the job starts": {
      job: job({ jobManagerTask: { id: "Main_Task", commandLine: "run" } }),
      want: {
        writes: [{ verb: "apply", kind: "Task", name: "j-main-task", body: { metadata: { ownerReferences: [{ kind: "Job", name: "j", controller: true }] }, spec: { jobName: "j", id: "Main_Task", commandLine: "run" } } }, jobStatusWrite({ state: "Active" })],
        events: ["Normal JobManagerTaskCreated"],
      },
    },
    "a job manager task deleted after the job started: not created again": {
      job: job({ jobManagerTask: { id: "jm", commandLine: "run" } }, started()),
      want: { writes: [jobStatusWrite({ state: "Active" })] },
    },
    "the job manager completed with killJobOnCompletion: the job completes (JMComplete)": {
      job: job({ jobManagerTask: { id: "jm", commandLine: "run", killJobOnCompletion: true } }, started()),
      tasks: [done("j-jm", { id: "jm" })],
      want: { writes: [jobStatusWrite({ state: "Completed", executionInfo: { endTime: t0, terminateReason: "JMComplete" } })], events: ["Normal JobCompleted"], schedulable: false },
    },
    "terminate with a task in flight: Terminating, the task ended, a Warning": {
      job: job({ terminate: true }, started()),
      tasks: [inFlight("a"), done("b")],
      want: { writes: [ended("a"), jobStatusWrite({ state: "Terminating", executionInfo: { terminateReason: "UserTerminate" } })], events: ["Warning JobTerminating"], schedulable: false },
    },
    "every task done under onAllTasksComplete TerminateJob: Completed": {
      job: job({ onAllTasksComplete: "TerminateJob" }, started()),
      tasks: [done("a"), done("b")],
      want: { writes: [jobStatusWrite({ state: "Completed", executionInfo: { terminateReason: "AllTasksComplete" } })], events: ["Normal JobCompleted"], schedulable: false },
    },
    "disabled with disableTasks Requeue: tasks in flight go back to the queue": {
      job: job({ disabled: true, disableTasks: "Requeue" }, started()),
      tasks: [inFlight("a")],
      want: {
        writes: [
          { verb: "patchStatus", kind: "Task", name: "a", body: { status: { state: "Active", previousState: "Running", nodeInfo: null } } },
          { verb: "patch", kind: "Task", name: "a", body: { metadata: { labels: { [nodeLabel]: null } } } },
          jobStatusWrite({ state: "Disabling" }),
        ],
        events: ["Normal JobDisabling"],
      },
    },
    "disabled with disableTasks Terminate: tasks in flight end": {
      job: job({ disabled: true, disableTasks: "Terminate" }, started()),
      tasks: [inFlight("a")],
      want: { writes: [ended("a"), jobStatusWrite({ state: "Disabling" })], events: ["Normal JobDisabling"] },
    },
    "disabled with disableTasks Wait: tasks in flight finish": {
      job: job({ disabled: true, disableTasks: "Wait" }, started()),
      tasks: [inFlight("a")],
      want: { writes: [jobStatusWrite({ state: "Disabling" })], events: ["Normal JobDisabling"] },
    },
    "disabled, nothing in flight: Disabled": {
      job: job({ disabled: true }, started({ state: "Disabling" })),
      want: { writes: [jobStatusWrite({ state: "Disabled", previousState: "Disabling" })], events: ["Normal JobDisabled"] },
    },
    "enabled again: Enabling, looked at again at once": {
      job: job({}, started({ state: "Disabled" })),
      want: { writes: [jobStatusWrite({ state: "Enabling" })], events: ["Normal JobEnabling"], outcome: { requeueAfterMs: 50 } },
    },
    "a task's exit conditions say Disable: spec.disabled set, the task marked, the status Disabled in the same pass": {
      job: job({ onTaskFailure: "PerformExitOptionsJobAction" }, started()),
      tasks: [done("a", { result: "Failure", exitCode: 3, jobAction: "Disable", endTime: minutesAgo(1), resourceVersion: "7" })],
      want: {
        writes: [
          { verb: "patch", kind: "Job", name: "j", body: { spec: { disabled: true, disableTasks: "Requeue" } } },
          { verb: "patch", kind: "Task", name: "a", body: { metadata: { resourceVersion: "7", annotations: { [jobActionAppliedAnnotation]: minutesAgo(1) } } } },
          jobStatusWrite({ state: "Disabled", previousState: "Active", taskCounts: { completed: 1, failed: 1 } }),
        ],
        events: ["Warning JobDisabledByTask", "Normal JobDisabled"],
        schedulable: false,
      },
    },
    "Disable with tasks in flight: they go back to the queue in the same pass, the status Disabling": {
      job: job({ onTaskFailure: "PerformExitOptionsJobAction" }, started()),
      tasks: [done("a", { result: "Failure", exitCode: 3, jobAction: "Disable", endTime: minutesAgo(1) }), inFlight("b")],
      want: {
        writes: [
          { verb: "patch", kind: "Job", name: "j", body: { spec: { disabled: true, disableTasks: "Requeue" } } },
          { verb: "patch", kind: "Task", name: "a", body: { metadata: { annotations: { [jobActionAppliedAnnotation]: minutesAgo(1) } } } },
          { verb: "patchStatus", kind: "Task", name: "b", body: { status: { state: "Active", previousState: "Running", nodeInfo: null } } },
          { verb: "patch", kind: "Task", name: "b", body: { metadata: { labels: { [nodeLabel]: null } } } },
          jobStatusWrite({ state: "Disabling" }),
        ],
        events: ["Warning JobDisabledByTask", "Normal JobDisabling"],
        schedulable: false,
      },
    },
    "Disable asked again of a disabled job: the task is marked, its disableTasks kept, the status written": {
      job: job({ onTaskFailure: "PerformExitOptionsJobAction", disabled: true, disableTasks: "Wait" }, started({ state: "Disabled" })),
      tasks: [done("a", { result: "Failure", jobAction: "Disable", endTime: minutesAgo(1) }), inFlight("b")],
      want: {
        writes: [{ verb: "patch", kind: "Task", name: "a", body: { metadata: { annotations: { [jobActionAppliedAnnotation]: minutesAgo(1) } } } }, jobStatusWrite({ state: "Disabling", previousState: "Disabled" })],
        events: ["Normal JobDisabling"],
      },
    },
    "exit-condition actions without PerformExitOptionsJobAction: ignored": {
      job: job({}, started()),
      tasks: [done("a", { result: "Failure", jobAction: "Terminate" }), { name: "b" }],
      want: { writes: [jobStatusWrite({ state: "Active" })] },
    },
    "a task's exit conditions say Terminate: the job completes (TaskFailed), a Warning; the task not started told it never runs": {
      job: job({ onTaskFailure: "PerformExitOptionsJobAction" }, started()),
      tasks: [done("a", { result: "Failure", exitCode: 3, jobAction: "Terminate" }), { name: "b" }],
      want: {
        writes: [
          jobStatusWrite({ state: "Completed", executionInfo: { terminateReason: "TaskFailed" } }),
          { verb: "patchStatus", kind: "Task", name: "b", body: { status: { conditions: [{ type: "Schedulable", status: "False", reason: "JobCompleted", message: "job j completed (TaskFailed): its tasks that had not started never run" }] } } },
        ],
        events: ["Warning JobCompleted", "Warning JobCompleted"],
        schedulable: false,
      },
    },
    "a collection item's exit conditions say Terminate: the job completes (TaskFailed), a Warning": {
      job: job({ onTaskFailure: "PerformExitOptionsJobAction" }, started()),
      collection: { exitConditions: { exitCodes: [{ code: 7, exitOptions: { jobAction: "Terminate" } }], default: { jobAction: "None" } } },
      tasks: [itemsChunk([{ index: 3, id: "sweep-3", exitCode: 7 }])],
      want: { writes: [jobStatusWrite({ state: "Completed", executionInfo: { terminateReason: "TaskFailed" }, taskCounts: { completed: 10, succeeded: 9, failed: 1 } })], events: ["Warning JobCompleted"], schedulable: false },
    },
    "a collection item whose exit code asks for no action: none": {
      job: job({ onTaskFailure: "PerformExitOptionsJobAction" }, started()),
      collection: { exitConditions: { exitCodes: [{ code: 7, exitOptions: { jobAction: "Terminate" } }], default: { jobAction: "None" } } },
      tasks: [itemsChunk([{ index: 3, id: "sweep-3", exitCode: 1 }])],
      want: { writes: [jobStatusWrite({ state: "Active" })] },
    },
    "a collection item's exit conditions say Disable: spec.disabled set, the chunk marked with the failures applied": {
      job: job({ onTaskFailure: "PerformExitOptionsJobAction" }, started()),
      collection: { exitConditions: { default: { jobAction: "Disable" } } },
      tasks: [itemsChunk([{ index: 3, id: "sweep-3", exitCode: 1 }, { index: 5, id: "sweep-5", exitCode: 2 }])],
      want: {
        writes: [
          { verb: "patch", kind: "Job", name: "j", body: { spec: { disabled: true, disableTasks: "Requeue" } } },
          { verb: "patch", kind: "CollectionChunk", name: "sweep-c0", body: { metadata: { annotations: { [itemJobActionsAppliedAnnotation]: "2" } } } },
          jobStatusWrite({ state: "Disabled" }),
        ],
        events: ["Warning JobDisabledByTask", "Normal JobDisabled"],
        schedulable: false,
      },
    },
    "a collection item's Disable applied already (the chunk's count): not again": {
      job: job({ onTaskFailure: "PerformExitOptionsJobAction" }, started()),
      collection: { exitConditions: { default: { jobAction: "Disable" } } },
      tasks: [itemsChunk([{ index: 3, id: "sweep-3", exitCode: 1 }], 1)],
      want: { writes: [jobStatusWrite({ state: "Active" })] },
    },
    "maxWallClockTime not reached: looked at again when it is": {
      job: job({ constraints: { maxWallClockTime: "PT1H" } }, started()),
      want: { writes: [jobStatusWrite({ state: "Active" })], outcome: { requeueAfterMs: 50 * 60_000 } },
    },
    "maxWallClockTime passed: Completed (MaxWallClockTimeExpiry)": {
      job: job({ constraints: { maxWallClockTime: "PT5M" } }, started()),
      want: { writes: [jobStatusWrite({ state: "Completed", executionInfo: { terminateReason: "MaxWallClockTimeExpiry" } })], events: ["Warning JobCompleted"], schedulable: false },
    },
    "a task past its retentionTime: counted and named in the status, then deleted by uid; back when the next is due": {
      job: job({}, started()),
      tasks: [done("a", { uid: "uid-a", retireAt: Date.parse(t0) - 1 }), done("b", { uid: "uid-b", retireAt: Date.parse(t0) + 60_000 })],
      want: {
        writes: [
          jobStatusWrite({ taskCounts: { succeeded: 2, completed: 2 }, deletedTaskCounts: { succeeded: 1, failed: 0 }, retiringTasks: [{ name: "a", uid: "uid-a" }] }),
          { verb: "delete", kind: "Task", name: "a", body: { preconditions: { uid: "uid-a" } } },
        ],
        outcome: { requeueAfterMs: 1_000 },
      },
    },
    "the deleted tasks gone: the batch cleared, the counts kept, back when the next is due": {
      job: job({}, started({ taskCounts: { active: 0, running: 0, completed: 2, succeeded: 2, failed: 0 }, deletedTaskCounts: { succeeded: 1, failed: 0 }, retiringTasks: [{ name: "a", uid: "uid-a" }] })),
      tasks: [done("b", { uid: "uid-b", retireAt: Date.parse(t0) + 60_000 })],
      want: { writes: [jobStatusWrite({ taskCounts: { succeeded: 2, completed: 2 }, deletedTaskCounts: { succeeded: 1 }, retiringTasks: [] })], outcome: { requeueAfterMs: 60_000 } },
    },
    "no such job: its waiting tasks told JobNotFound once (with an event); completed and already told ones are left": {
      tasks: [
        { name: "a" },
        done("b"),
        { name: "c", conditions: [{ type: "Schedulable", status: "False", reason: "JobNotFound", message: "job j does not exist in namespace ns (spec.jobName); the task waits until it does", lastTransitionTime: minutesAgo(1), observedGeneration: 0 }] },
      ],
      want: {
        writes: [{ verb: "patchStatus", kind: "Task", name: "a", body: { status: { conditions: [{ type: "Schedulable", status: "False", reason: "JobNotFound", message: "job j does not exist in namespace ns (spec.jobName); the task waits until it does" }] } } }],
        events: ["Warning JobNotFound"],
      },
    },
    "a completed job stays completed; a task still in flight is ended": {
      job: job({ terminate: true }, started({ state: "Completed", executionInfo: { terminateReason: "UserTerminate", endTime: minutesAgo(1) } })),
      tasks: [inFlight("late")],
      want: { writes: [ended("late"), jobStatusWrite({ state: "Completed" })], schedulable: false },
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, async () => {
      const api = fakeApi();
      const clock = new FakeClock(t0);
      const state = new DispatchState();
      state.upsertJob({ key: "ns/j", poolKey: "ns/p", priority: 0, maxParallelTasks: -1, created: minutesAgo(10), schedulable: true });
      if (tc.collection) state.upsertCollection({ key: "ns/sweep", jobKey: "ns/j", idPrefix: "sweep", chunkCount: 1, resourceVersion: "3", ...(tc.collection.unowned ? { unowned: true } : {}), ...(tc.collection.exitConditions ? { exitConditions: tc.collection.exitConditions as never } : {}) });
      (tc.tasks ?? []).forEach((task, i) =>
        state.upsertTask({ key: `ns/${task.name}`, namespace: "ns", jobKey: "ns/j", resourceVersion: "1", created: minutesAgo(9 - i), requiredSlots: 1, completed: false, state: "Active", requeueCount: 0, ...task }),
      );
      const reconcile = makeJobReconciler({
        jobs: cache(tc.job ? [tc.job] : []),
        pools: cache<KubernetesObject>(tc.poolExists === false ? [] : [pool]),
        state,
        writer: api.writer,
        writes: makeTaskWrites(api.custom, clock.date),
        custom: api.custom,
        events: api.recorder,
        log: () => {},
        now: clock.date,
      });
      assert.deepEqual(await reconcile("ns/j"), tc.want.outcome);
      assertWrites(api.writes, tc.want.writes);
      assertEvents(api.events, tc.want.events ?? []);
      assert.equal(state.jobs.get("ns/j")?.schedulable, tc.want.schedulable ?? true, "the scheduler may start the job's tasks");
    });
  }
});
