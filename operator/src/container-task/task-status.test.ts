import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1ContainerStatus, V1Pod } from "@kubernetes/client-node";
import type { TaskStatus } from "../../../api/task.ts";
import { attemptEndedAt, failedAttemptStatus, podOutcome, taskStatus, type PodOutcome } from "./task-status.ts";

const t0 = new Date("2026-01-01T00:00:00Z");
const t1 = new Date("2026-01-01T00:00:05Z");

function pod(opts: { phase?: string; reason?: string; upload?: boolean; init?: V1ContainerStatus["state"]; main?: V1ContainerStatus["state"]; up?: V1ContainerStatus["state"] }): V1Pod {
  return {
    spec: {
      initContainers: opts.init ? [{ name: "fetch", image: "kubatch/task-runner:1" }] : undefined,
      containers: [{ name: "task", image: "busybox" }, ...(opts.upload ? [{ name: "upload", image: "kubatch/task-runner:1" }] : [])],
    },
    status: {
      phase: opts.phase ?? "Pending",
      reason: opts.reason,
      initContainerStatuses: opts.init ? [{ name: "fetch", state: opts.init } as V1ContainerStatus] : undefined,
      containerStatuses: [
        ...(opts.main ? [{ name: "task", state: opts.main } as V1ContainerStatus] : []),
        ...(opts.up ? [{ name: "upload", state: opts.up } as V1ContainerStatus] : []),
      ],
    },
  };
}
const exited = (exitCode: number, message?: string) => ({ terminated: { exitCode, startedAt: t0, finishedAt: t1, message, reason: exitCode === 0 ? "Completed" : "Error" } });

const outcomes: Record<string, [V1Pod, (o: PodOutcome) => void]> = {
  "scheduled, nothing started": [pod({}), (o) => assert.equal(o.kind, "Waiting")],
  "fetching resource files": [pod({ init: { running: { startedAt: t0 } } }), (o) => assert.equal(o.kind, "Waiting")],
  "the command runs": [pod({ phase: "Running", main: { running: { startedAt: t0 } } }), (o) => assert.deepEqual(o, { kind: "Running", startTime: t0.toISOString() })],
  "exit 0": [pod({ phase: "Succeeded", main: exited(0) }), (o) => assert.deepEqual(o, { kind: "Ended", startTime: t0.toISOString(), endTime: t1.toISOString(), exitCode: 0, failureInfo: undefined, retryable: false, message: undefined })],
  "exit 3: FailureExitCode, retryable": [
    pod({ phase: "Failed", main: exited(3, "boom\n") }),
    (o) => {
      assert.ok(o.kind === "Ended");
      assert.equal(o.exitCode, 3);
      assert.equal(o.failureInfo?.code, "FailureExitCode");
      assert.equal(o.retryable, true);
      assert.equal(o.message, "boom\n");
    },
  ],
  "exited, upload still running: still Running": [pod({ phase: "Running", upload: true, main: exited(0), up: { running: {} } }), (o) => assert.equal(o.kind, "Running")],
  "exited, upload failed: FileUploadError": [
    pod({ phase: "Failed", upload: true, main: exited(0), up: exited(1, "outputFiles[0] (*.txt): 403") }),
    (o) => (assert.ok(o.kind === "Ended"), assert.equal(o.exitCode, 0), assert.equal(o.failureInfo?.code, "FileUploadError"), assert.match(o.failureInfo?.message ?? "", /403/)),
  ],
  "image cannot be pulled: UserError naming imageName": [
    pod({ main: { waiting: { reason: "ErrImagePull", message: "not found" } } }),
    (o) => (assert.ok(o.kind === "Ended"), assert.deepEqual(o.failureInfo?.category, "UserError"), assert.equal(o.failureInfo?.code, "ContainerImagePullFailed"), assert.match(o.failureInfo?.message ?? "", /containerSettings\.imageName "busybox:9"/), assert.equal(o.retryable, false)),
  ],
  "resource file download failed": [
    pod({ init: { terminated: { exitCode: 1, message: "a.txt: 404" } } }),
    (o) => (assert.ok(o.kind === "Ended"), assert.equal(o.failureInfo?.code, "ResourceFileDownloadFailed"), assert.equal(o.exitCode, undefined)),
  ],
  "past activeDeadlineSeconds: MaxWallClockTimeExpiry": [
    pod({ phase: "Failed", reason: "DeadlineExceeded", main: exited(137) }),
    (o) => (assert.ok(o.kind === "Ended"), assert.equal(o.failureInfo?.code, "MaxWallClockTimeExpiry"), assert.equal(o.retryable, false)),
  ],
  "evicted before the command ended": [pod({ phase: "Failed", reason: "Evicted" }), (o) => (assert.ok(o.kind === "Ended"), assert.equal(o.failureInfo?.category, "ServerError"), assert.equal(o.retryable, true))],
};
for (const [name, [p, check]] of Object.entries(outcomes)) test(`podOutcome: ${name}`, () => check(podOutcome(p, "busybox:9")));

const base = { podName: "t1-0", poolId: "p", now: t1 };
const running: TaskStatus = { state: "Running", previousState: "Active", stateTransitionTime: t0.toISOString(), nodeInfo: { poolId: "p", nodeId: "t1-0" }, executionInfo: { startTime: t0.toISOString() } };
const statuses: Record<string, [TaskStatus | undefined, Parameters<typeof taskStatus>[1], (s: TaskStatus, current: TaskStatus | undefined) => void]> = {
  "waiting: unchanged": [undefined, { ...base, outcome: { kind: "Waiting" }, retry: 0 }, (s) => assert.deepEqual(s, {})],
  "running: Running with startTime and the pod as node": [undefined, { ...base, outcome: { kind: "Running", startTime: t0.toISOString() }, retry: 0 }, (s) => assert.deepEqual(s, running)],
  "running again: equal, nothing to write": [running, { ...base, outcome: { kind: "Running", startTime: t0.toISOString() }, retry: 0 }, (s, cur) => assert.deepEqual(s, cur)],
  "exit 3: Completed, Failure, exit code and tail": [
    running,
    { ...base, outcome: { kind: "Ended", startTime: t0.toISOString(), endTime: t1.toISOString(), exitCode: 3, failureInfo: { category: "UserError", code: "FailureExitCode" }, retryable: true }, retry: 0, tail: "out" },
    (s) => {
      assert.equal(s.state, "Completed");
      assert.equal(s.previousState, "Running");
      assert.equal(s.executionInfo?.exitCode, 3);
      assert.equal(s.executionInfo?.result, "Failure");
      assert.equal(s.executionInfo?.endTime, t1.toISOString());
      assert.equal(s.stdoutTail, "out");
    },
  ],
  "exit 0 quickly (never seen Running): Completed, Success": [
    undefined,
    { ...base, outcome: { kind: "Ended", startTime: t0.toISOString(), endTime: t1.toISOString(), exitCode: 0, retryable: false }, retry: 0 },
    (s) => (assert.equal(s.state, "Completed"), assert.equal(s.previousState, "Active"), assert.equal(s.executionInfo?.result, "Success"), assert.equal(s.executionInfo?.startTime, t0.toISOString())),
  ],
  "a retry's Pod waiting: retryCount and lastRetryTime, first startTime kept": [
    running,
    { ...base, podName: "t1-1", outcome: { kind: "Waiting" }, retry: 1, attemptTime: t1.toISOString() },
    (s) => (assert.equal(s.executionInfo?.retryCount, 1), assert.equal(s.executionInfo?.lastRetryTime, t1.toISOString()), assert.equal(s.executionInfo?.startTime, t0.toISOString()), assert.equal(s.state, "Running"), assert.equal(s.nodeInfo?.nodeId, "t1-1")),
  ],
  "a retry succeeded after a recorded failure: the earlier exit code, failure and tail are not kept": [
    { ...running, executionInfo: { startTime: t0.toISOString(), exitCode: 3, failureInfo: { category: "UserError", code: "FailureExitCode" } }, stdoutTail: "attempt 0's output" },
    { ...base, podName: "t1-1", outcome: { kind: "Ended", endTime: t1.toISOString(), exitCode: 0, retryable: false }, retry: 1 },
    (s) => (assert.equal(s.executionInfo?.result, "Success"), assert.equal(s.executionInfo?.exitCode, 0), assert.equal(s.executionInfo?.failureInfo, undefined), assert.equal(s.stdoutTail, undefined)),
  ],
  "a retry evicted after a recorded exit 3: no exit code of its own, so none": [
    { ...running, executionInfo: { startTime: t0.toISOString(), exitCode: 3 } },
    { ...base, outcome: { kind: "Ended", failureInfo: { category: "ServerError", code: "PodFailed" }, retryable: true }, retry: 1 },
    (s) => (assert.equal(s.executionInfo?.exitCode, undefined), assert.equal(s.executionInfo?.failureInfo?.code, "PodFailed")),
  ],
};
for (const [name, [cur, o, check]] of Object.entries(statuses)) test(`taskStatus: ${name}`, () => check(taskStatus(cur, o), cur));

const failed3: PodOutcome & { kind: "Ended" } = { kind: "Ended", startTime: t0.toISOString(), endTime: t1.toISOString(), exitCode: 3, failureInfo: { category: "UserError", code: "FailureExitCode" }, retryable: true, message: "termination message" };
test("failedAttemptStatus: the task goes on (Running) with the failed attempt's exit code, failure and tail", async (t) => {
  const cases: Record<string, [TaskStatus | undefined, Parameters<typeof failedAttemptStatus>[1], TaskStatus]> = {
    "seen Running before: the exit code, failure and tail added": [
      running,
      { ...base, outcome: failed3, retry: 0, tail: "last lines" },
      { ...running, executionInfo: { startTime: t0.toISOString(), exitCode: 3, failureInfo: failed3.failureInfo }, stdoutTail: "last lines" },
    ],
    "failed before it was seen Running: Running from its start, the termination message as tail": [
      undefined,
      { ...base, outcome: failed3, retry: 0 },
      { ...running, executionInfo: { startTime: t0.toISOString(), exitCode: 3, failureInfo: failed3.failureInfo }, stdoutTail: "termination message" },
    ],
    "a later attempt evicted: its failure replaces the earlier one's, no exit code or tail of its own": [
      { ...running, executionInfo: { startTime: t0.toISOString(), exitCode: 3, failureInfo: failed3.failureInfo, retryCount: 1, lastRetryTime: t0.toISOString() }, stdoutTail: "attempt 0" },
      { ...base, outcome: { kind: "Ended", failureInfo: { category: "ServerError", code: "PodFailed" }, retryable: true }, retry: 1 },
      { ...running, executionInfo: { startTime: t0.toISOString(), failureInfo: { category: "ServerError", code: "PodFailed" }, retryCount: 1, lastRetryTime: t0.toISOString() } },
    ],
  };
  for (const [name, [cur, o, want]] of Object.entries(cases)) await t.test(name, () => assert.deepEqual(failedAttemptStatus(cur, o), want));
});

test("attemptEndedAt: the task container's finishedAt, else the Pod's latest condition change, else its creation", async (t) => {
  const t2 = new Date("2026-01-01T00:00:09Z");
  const evicted: PodOutcome & { kind: "Ended" } = { kind: "Ended", retryable: true };
  const cases: Record<string, [V1Pod, PodOutcome & { kind: "Ended" }, number]> = {
    "the container finished": [pod({ phase: "Failed", main: exited(3) }), failed3, t1.getTime()],
    "evicted: the latest condition change": [
      { metadata: { creationTimestamp: t0 }, status: { phase: "Failed", conditions: [{ type: "Ready", status: "False", lastTransitionTime: t2 }, { type: "PodScheduled", status: "True", lastTransitionTime: t0 }] } },
      evicted,
      t2.getTime(),
    ],
    "no conditions: its creation": [{ metadata: { creationTimestamp: t0 }, status: { phase: "Failed" } }, evicted, t0.getTime()],
    "nothing at all: the epoch (due at once, never a moving target)": [{ status: { phase: "Failed" } }, evicted, 0],
  };
  for (const [name, [p, o, want]] of Object.entries(cases)) await t.test(name, () => assert.equal(attemptEndedAt(p, o), want));
});
