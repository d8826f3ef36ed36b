import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Pod, V1PodStatus } from "@kubernetes/client-node";
import { containerImagePullFailed } from "../../../api/failure-codes.ts";
import { containerPodRetryLabel } from "../../../api/labels.ts";
import { parseTask, type Task, type TaskStatus } from "../../../api/task.ts";
import type { JobObject, TaskObject } from "../../../kube/objects.ts";
import { defaultOperatorConfig } from "../config/operator-config.ts";
import { assertEvents, assertWrites, cache, fakeApi, FakeClock, type WantWrite } from "../controller/reconcile-harness.ts";
import type { Outcome } from "../controller/work-queue.ts";
import { DispatchState, type TaskEntry } from "../dispatch/dispatch-state.ts";
import { taskEntry } from "../dispatch/task-entry.ts";
import { containerTaskPod } from "./container-pod.ts";
import { makeContainerTasks } from "./reconciler.ts";

const t0 = "2026-11-29T12:00:00.000Z";
const minutes = (n: number) => new Date(Date.parse(t0) + n * 60_000);
const config = defaultOperatorConfig();

function task(spec: Record<string, unknown> = {}, status?: TaskStatus): TaskObject {
  return {
    apiVersion: "kubatch.dev/v1alpha1",
    kind: "Task",
    metadata: { name: "t", namespace: "ns", uid: "uid-t", generation: 1, resourceVersion: "3", creationTimestamp: minutes(-10) },
    spec: { jobName: "j", commandLine: "python run.py", containerSettings: { imageName: "python:3.12" }, ...spec },
    status,
  } as TaskObject;
}
const job: JobObject = { apiVersion: "kubatch.dev/v1alpha1", kind: "Job", metadata: { name: "j", namespace: "ns", uid: "uid-j" }, spec: { poolInfo: { poolId: "p" } } } as JobObject;

/** Attempt `retry`'s Pod as the builder makes it for `of`, with the kubelet's status. */
function attempt(of: TaskObject, retry: number, status: V1PodStatus): V1Pod {
  const parsed = parseTask(of);
  assert.ok(parsed.ok);
  const pod = containerTaskPod({ task: parsed.value as Task & { apiVersion: string; kind: string }, job: undefined, poolId: "p", config, retry });
  return { ...pod, metadata: { ...pod.metadata, creationTimestamp: minutes(-2) }, status };
}
const runningPod: V1PodStatus = { phase: "Running", containerStatuses: [{ name: "task", image: "python:3.12", imageID: "", ready: true, restartCount: 0, state: { running: { startedAt: minutes(-1) } } }] };
/** The task container exited `endedAt` minutes from now. */
const exited = (exitCode: number, endedAt = 0): V1PodStatus => ({
  phase: exitCode === 0 ? "Succeeded" : "Failed",
  containerStatuses: [{ name: "task", image: "python:3.12", imageID: "", ready: false, restartCount: 0, state: { terminated: { exitCode, startedAt: minutes(endedAt - 1), finishedAt: minutes(endedAt) } } }],
});
const pullFailed: V1PodStatus = { phase: "Pending", containerStatuses: [{ name: "task", image: "python:3.12", imageID: "", ready: false, restartCount: 0, state: { waiting: { reason: "ErrImagePull", message: "not found" } } }] };
const pending: V1PodStatus = { phase: "Pending" };

const podApply = (retry: number): WantWrite => ({ verb: "apply", kind: "Pod", name: `t-${retry}`, body: { metadata: { labels: { [containerPodRetryLabel]: String(retry) }, ownerReferences: [{ kind: "Task", name: "t", uid: "uid-t" }] } } });
const status = (body: object): WantWrite => ({ verb: "patchStatus", kind: "Task", name: "t", body: { metadata: { resourceVersion: "3" }, status: body } });
const podDelete: WantWrite = { verb: "delete", kind: "Pod", name: "t-0" };
const wallClock = { constraints: { maxWallClockTime: "PT10M" } };
const startedAt = (m: number): TaskStatus => ({ state: "Running", executionInfo: { startTime: minutes(m).toISOString() } });
/** As the record of attempt 0's exit 3 a minute ago left it (attempt 1 due 10 s after). */
const recordedAttempt0: TaskStatus = {
  state: "Running",
  nodeInfo: { poolId: "p", nodeId: "t-0" },
  executionInfo: { startTime: minutes(-2).toISOString(), exitCode: 3, failureInfo: { category: "UserError", code: "FailureExitCode", message: "the task exited with code 3" } },
  stdoutTail: "failing\n",
  conditions: [{ type: "Schedulable", status: "False", reason: "RetryBackOff", message: "attempt 0 (t-0): the task exited with code 3; attempt 1 starts at 2026-11-29T11:59:10.000Z, after a 10 s back-off", observedGeneration: 1, lastTransitionTime: minutes(-1).toISOString() }],
};

test("the container task reconciler: one Pod per attempt, the Task status from its Pod", async (t) => {
  const requeued = task({}, { state: "Active", previousState: "Running", stateTransitionTime: minutes(-1).toISOString() });
  const cases: Record<string, {
    task?: TaskObject;
    pods?: V1Pod[];
    /** Other tasks of the job, in the scheduler's state. */
    others?: (Partial<TaskEntry> & { name: string })[];
    job?: { exists?: boolean; schedulable?: boolean; usesTaskDependencies?: boolean };
    invalid?: boolean;
    logs?: Record<string, string>;
    want: { writes: WantWrite[]; events?: string[]; outcome?: Outcome; rbac?: string[] };
  }> = {
    "not in the cache: nothing": { want: { writes: [] } },
    "no Pod yet: the first attempt's Pod is applied": { task: task(), want: { writes: [podApply(0)] } },
    "its job is not in the cache yet: looked at again": { task: task(), job: { exists: false }, want: { writes: [], outcome: { requeueAfterMs: 5_000 } } },
    "its job starts no tasks now: looked at again": { task: task(), job: { schedulable: false }, want: { writes: [], outcome: { requeueAfterMs: 5_000 } } },
    "invalid (the task informer's validation reported it): nothing": { task: task(), invalid: true, want: { writes: [] } },
    "a dependency that does not exist: Schedulable False, no Pod": {
      task: task({ dependsOn: { taskIds: ["prep"] } }),
      job: { usesTaskDependencies: true },
      want: { writes: [status({ conditions: [{ type: "Schedulable", status: "False", reason: "DependencyMissing" }] })] },
    },
    "its dependency succeeded after it waited: the Pod, and Schedulable True": {
      task: task({ dependsOn: { taskIds: ["prep"] } }, { conditions: [{ type: "Schedulable", status: "False", reason: "DependenciesNotMet", message: "waiting", lastTransitionTime: minutes(-5).toISOString() }] }),
      others: [{ name: "prep", id: "prep", completed: true, state: "Completed", result: "Success", dependencyAction: "Satisfy" }],
      job: { usesTaskDependencies: true },
      want: { writes: [podApply(0), status({ conditions: [{ type: "Schedulable", status: "True", reason: "PodCreated", lastTransitionTime: t0 }] })] },
    },
    "a command line that cannot be split: Schedulable False InvalidSpec and a Warning": {
      task: task({ commandLine: "python 'run.py" }),
      want: { writes: [status({ conditions: [{ type: "Schedulable", status: "False", reason: "InvalidSpec" }] })], events: ["Warning InvalidSpec"] },
    },
    "output files: the node identity first (the upload step runs as it)": {
      task: task({ outputFiles: [{ filePattern: "out/*", destination: { container: { containerUrl: "https://example.org/c" } }, uploadOptions: { uploadCondition: "TaskSuccess" } }] }),
      want: { writes: [podApply(0)], rbac: ["ns"] },
    },
    "its Pod runs: Running, on the Pod": {
      task: task(),
      pods: [attempt(task(), 0, runningPod)],
      want: { writes: [status({ state: "Running", previousState: "Active", nodeInfo: { poolId: "p", nodeId: "t-0" }, executionInfo: { startTime: minutes(-1).toISOString() } })] },
    },
    "its Pod runs under maxWallClockTime: looked at again when it runs out": {
      task: task(wallClock, startedAt(-1)),
      pods: [attempt(task(), 0, runningPod)],
      want: { writes: [status({ nodeInfo: { nodeId: "t-0" } })], outcome: { requeueAfterMs: 9 * 60_000 } },
    },
    "its Pod succeeded: Completed with Success and the log tail": {
      task: task({}, startedAt(-1)),
      pods: [attempt(task(), 0, exited(0))],
      logs: { "t-0": "done\n" },
      want: { writes: [status({ state: "Completed", previousState: "Running", executionInfo: { exitCode: 0, result: "Success", endTime: t0 }, stdoutTail: "done\n" })] },
    },
    "exit code 3 with retries left: recorded with its log tail, no new Pod, back after the 10 s back-off": {
      task: task({ constraints: { maxTaskRetryCount: 2 } }, startedAt(-1)),
      pods: [attempt(task(), 0, exited(3))],
      logs: { "t-0": "failing\n" },
      want: {
        writes: [status({ state: "Running", executionInfo: { exitCode: 3, failureInfo: { code: "FailureExitCode" } }, stdoutTail: "failing\n", conditions: [{ type: "Schedulable", status: "False", reason: "RetryBackOff" }] })],
        outcome: { requeueAfterMs: 10_000 },
      },
    },
    "recorded, the back-off over: the next attempt's Pod, then Schedulable True": {
      task: task({ constraints: { maxTaskRetryCount: 2 } }, recordedAttempt0),
      pods: [attempt(task(), 0, exited(3, -1))],
      want: { writes: [podApply(1), status({ conditions: [{ type: "Schedulable", status: "True", reason: "PodCreated" }] })] },
    },
    "the next attempt runs: its status, then the failed attempt's Pod deleted": {
      task: task({ constraints: { maxTaskRetryCount: 2 } }, { ...recordedAttempt0, conditions: [] }),
      pods: [attempt(task(), 0, exited(3, -1)), attempt(task(), 1, runningPod)],
      want: { writes: [status({ nodeInfo: { nodeId: "t-1" }, executionInfo: { retryCount: 1, exitCode: 3 } }), podDelete] },
    },
    "the retry succeeded: Success, the earlier attempt's failure cleared (null in the merge patch)": {
      task: task({ constraints: { maxTaskRetryCount: 2 } }, { ...recordedAttempt0, conditions: [] }),
      pods: [attempt(task(), 1, exited(0))],
      logs: { "t-1": "done\n" },
      want: { writes: [status({ state: "Completed", executionInfo: { exitCode: 0, result: "Success", retryCount: 1, failureInfo: null }, stdoutTail: "done\n" })] },
    },
    "exit code 3, retries used up: Completed with Failure (FailureExitCode: no event), the earlier attempt's Pod deleted": {
      task: task({ constraints: { maxTaskRetryCount: 1 } }, startedAt(-1)),
      pods: [attempt(task(), 0, exited(3)), attempt(task(), 1, exited(3))],
      want: { writes: [status({ state: "Completed", nodeInfo: { nodeId: "t-1" }, executionInfo: { exitCode: 3, result: "Failure", retryCount: 1, failureInfo: { code: "FailureExitCode" } } }), podDelete] },
    },
    "its image cannot be pulled: Completed with Failure, a Warning, the Pod deleted": {
      task: task(),
      pods: [attempt(task(), 0, pullFailed)],
      want: { writes: [status({ state: "Completed", executionInfo: { result: "Failure", failureInfo: { code: containerImagePullFailed } } }), podDelete], events: [`Warning ${containerImagePullFailed}`] },
    },
    "past maxWallClockTime while running: Completed MaxWallClockTimeExpiry, the Pod deleted": {
      task: task(wallClock, startedAt(-20)),
      pods: [attempt(task(), 0, runningPod)],
      want: { writes: [status({ state: "Completed", executionInfo: { result: "Failure", failureInfo: { code: "MaxWallClockTimeExpiry" } } }), podDelete], events: ["Warning MaxWallClockTimeExpiry"] },
    },
    "completed by its job while the Pod runs: the Pod is deleted": {
      task: task({}, { state: "Completed" }),
      pods: [attempt(task(), 0, runningPod)],
      want: { writes: [podDelete] },
    },
    "its job stopped starting tasks before the Pod ran: the Pod is deleted, the task stays Active": {
      task: task(),
      pods: [attempt(task(), 0, pending)],
      job: { schedulable: false },
      want: { writes: [podDelete] },
    },
    "requeued: the earlier attempt's Pod goes before a new one": {
      task: requeued,
      pods: [attempt(task({}, { state: "Running", stateTransitionTime: minutes(-5).toISOString() }), 0, runningPod)],
      want: { writes: [podDelete], outcome: { requeueAfterMs: 1_000 } },
    },
    "requeued, the Pod already of this activation: it is looked at as usual": {
      task: requeued,
      pods: [attempt(requeued, 0, runningPod)],
      want: { writes: [status({ state: "Running", previousState: "Active" })] },
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, async () => {
      const api = fakeApi({ logs: tc.logs });
      const state = new DispatchState();
      state.upsertJob({ key: "ns/j", poolKey: "ns/p", priority: 0, maxParallelTasks: -1, created: "", schedulable: tc.job?.schedulable ?? true, usesTaskDependencies: tc.job?.usesTaskDependencies });
      for (const other of tc.others ?? []) state.upsertTask({ key: `ns/${other.name}`, namespace: "ns", jobKey: "ns/j", resourceVersion: "1", created: "", requiredSlots: 1, completed: false, state: "Active", requeueCount: 0, ...other });
      if (tc.task) state.upsertTask({ ...taskEntry(tc.task), invalid: tc.invalid });
      const rbac: string[] = [];
      const containerTasks = makeContainerTasks({
        tasks: cache(tc.task ? [tc.task] : []),
        jobs: cache(tc.job?.exists === false ? [] : [job]),
        state,
        writer: api.writer,
        core: api.core,
        events: api.recorder,
        config,
        enqueue: () => {},
        ensureUploadRbac: async (namespace) => void rbac.push(namespace),
        log: () => {},
        now: new FakeClock(t0).date,
      });
      for (const pod of tc.pods ?? []) containerTasks.onPod("add", pod);
      assert.deepEqual(await containerTasks.reconcile("ns/t"), tc.want.outcome);
      assertWrites(api.writes, tc.want.writes);
      assertEvents(api.events, tc.want.events ?? []);
      assert.deepEqual(rbac, tc.want.rbac ?? []);
    });
  }
});
