import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Pod, V1PodStatus } from "@kubernetes/client-node";
import { containerPodRetryLabel } from "../../../api/labels.ts";
import { parseTask, type Task, type TaskStatus } from "../../../api/task.ts";
import type { JobObject, TaskObject } from "../../../kube/objects.ts";
import { defaultOperatorConfig } from "../config/operator-config.ts";
import { planContainerTask, type ContainerTaskPlan } from "./attempt-plan.ts";
import { containerTaskPod } from "./container-pod.ts";

const t0 = Date.parse("2026-11-29T12:00:00.000Z");
const at = (seconds: number) => new Date(t0 + seconds * 1000);
const config = defaultOperatorConfig();
const job: JobObject = { apiVersion: "kubatch.dev/v1alpha1", kind: "Job", metadata: { name: "j", namespace: "ns", uid: "uid-j" }, spec: { poolInfo: { poolId: "p" } } } as JobObject;

function taskObj(maxTaskRetryCount: number, status?: TaskStatus, constraints: object = {}): TaskObject {
  return {
    apiVersion: "kubatch.dev/v1alpha1",
    kind: "Task",
    metadata: { name: "t", namespace: "ns", uid: "uid-t", generation: 1, resourceVersion: "3", creationTimestamp: at(-3600) },
    spec: { jobName: "j", commandLine: "python run.py", containerSettings: { imageName: "python:3.12" }, constraints: { maxTaskRetryCount, ...constraints } },
    status,
  } as TaskObject;
}
const parsed = (raw: TaskObject) => {
  const p = parseTask(raw);
  assert.ok(p.ok);
  return p.value as Task & { apiVersion: string; kind: string };
};

/** Attempt `retry`'s Pod, created a minute before `endedAt` (seconds from t0). */
function attempt(retry: number, podStatus: V1PodStatus, createdAt = -60): V1Pod {
  const pod = containerTaskPod({ task: parsed(taskObj(0)), job: undefined, poolId: "p", config, retry });
  return { ...pod, metadata: { ...pod.metadata, creationTimestamp: at(createdAt) }, status: podStatus };
}
const container = (state: object) => [{ name: "task", image: "python:3.12", imageID: "", ready: false, restartCount: 0, state }];
/** The task container exited with `exitCode` at `endedAt` (seconds from t0). */
const exited = (exitCode: number, endedAt = 0): V1PodStatus => ({
  phase: exitCode === 0 ? "Succeeded" : "Failed",
  containerStatuses: container({ terminated: { exitCode, startedAt: at(endedAt - 30), finishedAt: at(endedAt), message: `exit ${exitCode}\n` } }),
});
const running: V1PodStatus = { phase: "Running", containerStatuses: container({ running: { startedAt: at(-30) } }) };
const evicted = (changedAt: number): V1PodStatus => ({ phase: "Failed", reason: "Evicted", message: "low on memory", conditions: [{ type: "Ready", status: "False", lastTransitionTime: at(changedAt) }] });

/** What the plan would write after attempt `retry` (ended at `endedAt`) failed: run it, as the cache would show it afterwards. */
function recorded(maxTaskRetryCount: number, retry: number, endedAt = 0, constraints: object = {}): TaskStatus {
  const plan = planContainerTask(observe(taskObj(maxTaskRetryCount, { state: "Running", executionInfo: { startTime: at(-600).toISOString() } }, constraints), [attempt(retry, exited(3, endedAt))], at(endedAt)));
  assert.equal(plan.action, "record");
  return plan.status;
}

function observe(raw: TaskObject, pods: V1Pod[], now: Date, schedulable = true) {
  return { raw, task: parsed(raw), pods, jobObj: job, job: undefined, schedulable, blockReason: () => undefined, config, now };
}

type Want = { action: ContainerTaskPlan["action"]; requeueAfterMs?: number; pod?: string; retry?: number; older?: string[]; status?: object };

/** The plan's observable parts: what it writes and deletes, which Pod it makes or reads, when it looks again. */
function view(plan: ContainerTaskPlan) {
  const name = (p: V1Pod) => p.metadata!.name!;
  const status = plan.action === "record" || plan.action === "status" || plan.action === "invalid" ? plan.status : plan.action === "start" ? plan.then : plan.action === "complete" ? plan.base : undefined;
  return {
    action: plan.action,
    requeueAfterMs: plan.requeueAfterMs,
    pod: "pod" in plan && plan.pod ? name(plan.pod) : undefined,
    retry: plan.action === "start" ? Number(plan.pod.metadata?.labels?.[containerPodRetryLabel]) : "retry" in plan ? plan.retry : undefined,
    older: plan.older?.map(name),
    status,
  };
}

test("planContainerTask: a failed attempt is recorded, waits out its back-off, and only the latest attempt's Pod is kept", async (t) => {
  const startedRunning: TaskStatus = { state: "Running", executionInfo: { startTime: at(-600).toISOString() } };
  const cases: Record<string, { raw: TaskObject; pods: V1Pod[]; now: Date; schedulable?: boolean; want: Want; message?: RegExp }> = {
    "first failure: recorded first (exit code, failure, tail, Schedulable False), back in 10 s, no new Pod": {
      raw: taskObj(3, startedRunning),
      pods: [attempt(0, exited(3))],
      now: at(0),
      want: {
        action: "record",
        pod: "t-0",
        retry: 0,
        requeueAfterMs: 10_000,
        status: {
          state: "Running",
          nodeInfo: { nodeId: "t-0" },
          executionInfo: { startTime: at(-600).toISOString(), exitCode: 3, failureInfo: { code: "FailureExitCode" } },
          stdoutTail: "exit 3\n",
          conditions: [{ type: "Schedulable", status: "False", reason: "RetryBackOff", observedGeneration: 1 }],
        },
      },
      message: /^attempt 0 \(t-0\): the task exited with code 3; attempt 1 starts at 2026-11-29T12:00:10\.000Z, after a 10 s back-off$/,
    },
    "first failure recorded, 4 s gone: looked at again when the 10 s are over": {
      raw: taskObj(3, recorded(3, 0)),
      pods: [attempt(0, exited(3))],
      now: at(4),
      want: { action: "none", requeueAfterMs: 6_000 },
    },
    "the operator restarted 9 s after the failure: the back-off goes on from the Pod's finishedAt": {
      raw: taskObj(3, recorded(3, 0)),
      pods: [attempt(0, exited(3))],
      now: at(9),
      want: { action: "none", requeueAfterMs: 1_000 },
    },
    "third failure: 40 s": {
      raw: taskObj(5, startedRunning),
      pods: [attempt(2, exited(3))],
      now: at(0),
      want: { action: "record", pod: "t-2", retry: 2, requeueAfterMs: 40_000, status: { executionInfo: { retryCount: 2, exitCode: 3 } } },
      message: /after a 40 s back-off$/,
    },
    "tenth failure: capped at 6 min": {
      raw: taskObj(20, startedRunning),
      pods: [attempt(9, exited(3))],
      now: at(0),
      want: { action: "record", pod: "t-9", retry: 9, requeueAfterMs: 360_000 },
      message: /after a 360 s back-off$/,
    },
    "the back-off is over: the next attempt's Pod, retry label 1, Schedulable True": {
      raw: taskObj(3, recorded(3, 0)),
      pods: [attempt(0, exited(3))],
      now: at(10),
      want: { action: "start", pod: "t-1", retry: 1, status: { conditions: [{ type: "Schedulable", status: "True", reason: "PodCreated" }] } },
    },
    "due, but not recorded yet (the operator was down through the back-off): recorded first, the status write brings it back": {
      raw: taskObj(3, startedRunning),
      pods: [attempt(0, exited(3))],
      now: at(3600),
      want: { action: "record", pod: "t-0", retry: 0, status: { executionInfo: { exitCode: 3 } } },
    },
    "recorded for an earlier attempt (the write after its successor's Pod was lost): this one is recorded": {
      raw: taskObj(3, recorded(3, 0)),
      pods: [attempt(1, exited(3, 100)), attempt(0, exited(3))],
      now: at(100),
      want: { action: "record", pod: "t-1", retry: 1, requeueAfterMs: 20_000, older: ["t-0"], status: { nodeInfo: { nodeId: "t-1" } } },
      message: /^attempt 1 \(t-1\)/,
    },
    "the next attempt runs: its status written, the failed attempt's Pod deleted after": {
      raw: taskObj(3, { ...recorded(3, 0), conditions: [{ type: "Schedulable", status: "True", reason: "PodCreated", message: "the task runs as its own Pod", lastTransitionTime: at(10).toISOString() }] }),
      pods: [attempt(0, exited(3)), attempt(1, running, 10)],
      now: at(20),
      want: { action: "status", pod: undefined, older: ["t-0"], status: { nodeInfo: { nodeId: "t-1" }, executionInfo: { retryCount: 1, lastRetryTime: at(10).toISOString() } } },
    },
    "the next attempt runs but Schedulable still says back-off (its write was lost): True again": {
      raw: taskObj(3, recorded(3, 0)),
      pods: [attempt(1, running, 10)],
      now: at(20),
      want: { action: "status", status: { conditions: [{ type: "Schedulable", status: "True", reason: "PodCreated" }] } },
    },
    "retries used up: Completed with Failure, no new Pod, the older Pods deleted": {
      raw: taskObj(2, recorded(2, 1, 100)),
      pods: [attempt(2, exited(3, 200)), attempt(0, exited(3)), attempt(1, exited(3, 100))],
      now: at(200),
      want: { action: "complete", pod: "t-2", retry: 2, older: ["t-1", "t-0"], status: { conditions: [{ type: "Schedulable", status: "True", reason: "PodCreated" }] } },
    },
    "maxTaskRetryCount -1, the 501st failure: still backing off, 6 min": {
      raw: taskObj(-1, startedRunning),
      pods: [attempt(500, exited(3))],
      now: at(0),
      want: { action: "record", pod: "t-500", retry: 500, requeueAfterMs: 360_000 },
    },
    "maxTaskRetryCount -1, 6 min later: attempt 501": {
      raw: taskObj(-1, recorded(-1, 500)),
      pods: [attempt(500, exited(3))],
      now: at(360),
      want: { action: "start", pod: "t-501", retry: 501 },
    },
    "evicted (no container end): the back-off counts from the Pod's last condition change": {
      raw: taskObj(3, startedRunning),
      pods: [attempt(0, evicted(-4))],
      now: at(0),
      want: { action: "record", pod: "t-0", retry: 0, requeueAfterMs: 6_000, status: { executionInfo: { failureInfo: { code: "PodFailed" } } } },
    },
    "the wall clock ends before the back-off: looked at again then": {
      raw: taskObj(3, recorded(3, 2, 0, { maxWallClockTime: "PT602S" }), { maxWallClockTime: "PT602S" }),
      pods: [attempt(2, exited(3))],
      now: at(0),
      want: { action: "none", requeueAfterMs: 2_000 },
    },
    "the wall clock ran out during the back-off: Completed with the attempt's failure, Schedulable no longer False": {
      raw: taskObj(3, recorded(3, 2, 0, { maxWallClockTime: "PT602S" }), { maxWallClockTime: "PT602S" }),
      pods: [attempt(2, exited(3))],
      now: at(2),
      want: { action: "complete", pod: "t-2", retry: 2, status: { conditions: [{ type: "Schedulable", status: "True" }] } },
    },
    "the back-off is over but the job starts no tasks now: looked at again": {
      raw: taskObj(3, recorded(3, 0)),
      pods: [attempt(0, exited(3))],
      now: at(10),
      schedulable: false,
      want: { action: "none", requeueAfterMs: 5_000 },
    },
    "no retries: Completed at once, no back-off": {
      raw: taskObj(0, startedRunning),
      pods: [attempt(0, exited(3))],
      now: at(0),
      want: { action: "complete", pod: "t-0", retry: 0 },
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const got = view(planContainerTask(observe(tc.raw, tc.pods, tc.now, tc.schedulable)));
      const { status, ...rest } = tc.want;
      assert.deepEqual({ ...got, status: undefined }, { requeueAfterMs: undefined, pod: undefined, retry: undefined, older: undefined, ...rest, status: undefined });
      if (status) assert.partialDeepStrictEqual(got.status, status);
      if (tc.message) assert.match(got.status?.conditions?.find((c) => c.type === "Schedulable")?.message ?? "", tc.message);
    });
  }
});
