import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1ContainerStatus, V1Pod } from "@kubernetes/client-node";
import { nodeInfo } from "./node-state.ts";

const t0 = new Date("2026-11-29T10:00:00Z");
const t1 = new Date("2026-11-29T10:00:05Z");

function pod(opts: { scheduled?: boolean; init?: V1ContainerStatus[]; agent?: V1ContainerStatus; tasks?: V1ContainerStatus; ready?: boolean; readySince?: Date; phase?: string; deleting?: boolean; leaving?: boolean; startTaskInfo?: string; annotations?: Record<string, string>; lowPriority?: boolean; disrupted?: string }): V1Pod {
  return {
    metadata: {
      name: "pool-a-dedicated-x",
      labels: { "kubatch.dev/node-type": opts.lowPriority ? "lowpriority" : "dedicated" },
      deletionTimestamp: opts.deleting ? t1 : undefined,
      annotations: opts.leaving || opts.startTaskInfo || opts.annotations ? { ...(opts.leaving ? { "kubatch.dev/leaving": "true" } : {}), ...(opts.startTaskInfo ? { "kubatch.dev/start-task-info": opts.startTaskInfo } : {}), ...opts.annotations } : undefined,
    },
    spec: { nodeName: opts.scheduled === false ? undefined : "n1", containers: [] },
    status: {
      phase: opts.phase ?? "Pending",
      initContainerStatuses: opts.init,
      containerStatuses: opts.agent || opts.tasks ? [opts.agent, opts.tasks].filter((x): x is V1ContainerStatus => x !== undefined) : undefined,
      conditions: [{ type: "Ready", status: opts.ready ? "True" : "False", lastTransitionTime: opts.readySince }, ...(opts.disrupted ? [{ type: "DisruptionTarget", status: "True", reason: opts.disrupted }] : [])],
    },
  };
}

const c = (name: string, state: V1ContainerStatus["state"], extra: Partial<V1ContainerStatus> = {}): V1ContainerStatus => ({
  name,
  image: "kubatch/task-runner",
  imageID: "",
  ready: false,
  restartCount: 0,
  state,
  ...extra,
});
const running = { running: { startedAt: t0 } };
const t2 = new Date("2026-11-29T10:00:40Z");
/** An agent (re)started at t1, after an earlier one was killed. */
const restarted = c("agent", { running: { startedAt: t1 } }, { restartCount: 1, lastState: { terminated: { exitCode: 137, reason: "Error", startedAt: t0, finishedAt: t1 } } });
const done = (exitCode: number, message?: string) => ({ terminated: { exitCode, startedAt: t0, finishedAt: t1, message } });

test("nodeInfo maps a node pod to its Azure Batch node state", async (t) => {
  const cases: Record<string, { pod: V1Pod; work?: number; want: string; exitCode?: number; code?: string; message?: RegExp; noStartTaskInfo?: true }> = {
    "not scheduled": { pod: pod({ scheduled: false }), want: "Creating" },
    "fetching resource files": { pod: pod({ init: [c("fetch", running), c("start-task", { waiting: { reason: "PodInitializing" } })] }), want: "Starting" },
    "start task running": { pod: pod({ init: [c("fetch", done(0)), c("start-task", running)] }), want: "WaitingForStartTask" },
    "start task failed, waiting to restart": {
      pod: pod({ init: [c("fetch", done(0)), c("start-task", { waiting: { reason: "CrashLoopBackOff" } }, { restartCount: 2, lastState: done(3, "tesseract: not found") })] }),
      want: "StartTaskFailed",
      exitCode: 3,
      code: "FailureExitCode",
      message: /exited with code 3: tesseract: not found/,
    },
    "resource file download failed": {
      pod: pod({ init: [c("fetch", done(1, "resourceFiles[0] (http://x/y): HTTP 404"))] }),
      want: "StartTaskFailed",
      exitCode: 1,
      code: "ResourceFileDownloadFailed",
      message: /HTTP 404/,
    },
    "agent running but not ready yet": { pod: pod({ phase: "Running", init: [c("start-task", done(0))], agent: c("agent", running) }), want: "Starting" },
    "idle": { pod: pod({ phase: "Running", init: [c("start-task", done(0))], agent: c("agent", running), ready: true }), want: "Idle" },
    "running tasks": { pod: pod({ phase: "Running", agent: c("agent", running), ready: true }), work: 2, want: "Running" },
    "being deleted": { pod: pod({ phase: "Running", agent: c("agent", running), ready: true, deleting: true }), want: "LeavingPool" },
    "chosen to leave": { pod: pod({ phase: "Running", agent: c("agent", running), ready: true, leaving: true }), want: "LeavingPool" },
    "pod failed": { pod: pod({ phase: "Failed" }), want: "Unusable" },
    "agent crashed": { pod: pod({ phase: "Running", agent: c("agent", { waiting: { reason: "CrashLoopBackOff" } }, { lastState: done(1) }) }), want: "Unusable" },
    "agent and tasks containers running": { pod: pod({ phase: "Running", agent: c("agent", running), tasks: c("tasks", running), ready: true }), want: "Idle" },
    "tasks container not started yet": { pod: pod({ phase: "Running", agent: c("agent", running), tasks: c("tasks", { waiting: { reason: "ContainerCreating" } }) }), want: "Starting" },
    "tasks container crashed": { pod: pod({ phase: "Running", agent: c("agent", running), tasks: c("tasks", { waiting: { reason: "CrashLoopBackOff" } }, { lastState: done(1) }) }), want: "Unusable" },
    // Readiness (the agent's /readyz: watches synced, the API server answering) after the agent started.
    "agent stopped answering its readiness probe (Ready lost after it started)": { pod: pod({ phase: "Running", agent: c("agent", running), tasks: c("tasks", running), readySince: t2 }), want: "Unusable" },
    "agent stopped answering, with tasks on it": { pod: pod({ phase: "Running", agent: c("agent", running), readySince: t2 }), work: 1, want: "Unusable" },
    "agent restarted by its liveness probe, syncing (Ready lost before it started)": { pod: pod({ phase: "Running", agent: restarted, tasks: c("tasks", running), readySince: t0 }), want: "Starting" },
    "agent restarted and ready again": { pod: pod({ phase: "Running", agent: restarted, tasks: c("tasks", running), ready: true, readySince: t2 }), want: "Idle" },
    "agent killed by its liveness probe, waiting to restart": { pod: pod({ phase: "Running", agent: c("agent", { waiting: { reason: "CrashLoopBackOff" } }, { restartCount: 1, lastState: done(137) }), readySince: t1 }), want: "Unusable" },
    "Ready lost in the second the agent started: starting": { pod: pod({ phase: "Running", agent: c("agent", running), readySince: t0 }), want: "Starting" },
    "a new node, not Ready since before its agent started": { pod: pod({ phase: "Running", init: [c("start-task", done(0))], agent: c("agent", { running: { startedAt: t1 } }), tasks: c("tasks", running), readySince: t0 }), want: "Starting" },
    "tasks container back from a restart, the pod not Ready again yet": { pod: pod({ phase: "Running", agent: c("agent", running), tasks: c("tasks", { running: { startedAt: t2 } }, { restartCount: 1 }), readySince: t1 }), want: "Unusable" },
    // Azure Batch's offline, reimaging and a removal.
    "scheduling disabled, no task there: Offline": { pod: pod({ phase: "Running", agent: c("agent", running), tasks: c("tasks", running), ready: true, annotations: { "kubatch.dev/scheduling-disabled": "TaskCompletion" } }), want: "Offline" },
    "scheduling disabled, a task still running: Running": { pod: pod({ phase: "Running", agent: c("agent", running), tasks: c("tasks", running), ready: true, annotations: { "kubatch.dev/scheduling-disabled": "TaskCompletion" } }), work: 1, want: "Running" },
    "reimage asked: Reimaging, with or without tasks": { pod: pod({ phase: "Running", agent: c("agent", running), tasks: c("tasks", running), ready: true, annotations: { "kubatch.dev/reimage": "Requeue" } }), work: 1, want: "Reimaging" },
    "removal asked: LeavingPool at once": { pod: pod({ phase: "Running", agent: c("agent", running), tasks: c("tasks", running), ready: true, annotations: { "kubatch.dev/remove": "TaskCompletion" } }), want: "LeavingPool" },
    // A low-priority node taken away is Azure Batch's preempted node; a dedicated one leaves or is lost.
    "low-priority, preempted by the scheduler": { pod: pod({ phase: "Running", agent: c("agent", running), ready: true, lowPriority: true, deleting: true, disrupted: "PreemptionByScheduler" }), want: "Preempted" },
    "low-priority, its node shut down (pod failed)": { pod: pod({ phase: "Failed", lowPriority: true }), want: "Preempted" },
    "low-priority, running": { pod: pod({ phase: "Running", agent: c("agent", running), ready: true, lowPriority: true }), want: "Idle" },
    "dedicated, evicted: leaving": { pod: pod({ phase: "Running", agent: c("agent", running), ready: true, deleting: true, disrupted: "EvictionByEvictionAPI" }), want: "LeavingPool" },
    // A start task without waitForSuccess: its agent's report on the pod; the node is Idle whatever it says.
    "start task without waitForSuccess failed: reported, node still Idle": {
      pod: pod({ phase: "Running", agent: c("agent", running), tasks: c("tasks", running), ready: true, startTaskInfo: JSON.stringify({ state: "Completed", exitCode: 5, retryCount: 1, result: "Failure", failureInfo: { category: "UserError", code: "FailureExitCode", message: "the start task exited with code 5: no mirror" } }) }),
      want: "Idle",
      exitCode: 5,
      code: "FailureExitCode",
      message: /code 5: no mirror/,
    },
    "a report that is not startTaskInfo is ignored": { pod: pod({ phase: "Running", agent: c("agent", running), tasks: c("tasks", running), ready: true, startTaskInfo: '{"state":"Sleeping"' }), want: "Idle", noStartTaskInfo: true },
    "tasks container restarting after user code killed it": { pod: pod({ phase: "Running", agent: c("agent", running), tasks: c("tasks", { terminated: { exitCode: 0, startedAt: t0, finishedAt: t1 } }) }), want: "Unusable" },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const info = nodeInfo(tc.pod, { runningTasks: tc.work ?? 0, runningTaskSlots: tc.work ?? 0 });
      assert.equal(info.state, tc.want);
      if (tc.exitCode !== undefined) assert.equal(info.startTaskInfo?.exitCode, tc.exitCode);
      if (tc.code) assert.equal(info.startTaskInfo?.failureInfo?.code, tc.code);
      if (tc.message) assert.match(info.startTaskInfo?.failureInfo?.message ?? "", tc.message);
      if (tc.noStartTaskInfo) assert.equal(info.startTaskInfo, undefined);
    });
  }
});

test("a node whose containers cannot start shows why, naming the container and its image", async (t) => {
  const pull = (reason: string) => c("agent", { waiting: { reason, message: 'failed to pull image "example.org/nope:1": not found' } }, { image: "example.org/nope:1" });
  const oom = c("agent", running, { restartCount: 1, lastState: { terminated: { exitCode: 137, reason: "OOMKilled", startedAt: t0, finishedAt: t1 } } });
  const cases: Record<string, { pod: V1Pod; want: string; codes: string[]; message?: RegExp }> = {
    "image cannot be pulled": { pod: pod({ phase: "Pending", agent: pull("ErrImagePull") }), want: "Unusable", codes: ["ImagePullFailed"], message: /container agent, image example\.org\/nope:1: ErrImagePull: failed to pull/ },
    "pull backing off": { pod: pod({ phase: "Pending", agent: pull("ImagePullBackOff") }), want: "Unusable", codes: ["ImagePullFailed"] },
    "a start task image that cannot be pulled": { pod: pod({ init: [c("start-task", { waiting: { reason: "ErrImagePull" } }, { image: "example.org/nope:1" })] }), want: "Unusable", codes: ["ImagePullFailed"], message: /container start-task, image example\.org\/nope:1/ },
    "missing secret": { pod: pod({ init: [c("fetch", { waiting: { reason: "CreateContainerConfigError", message: 'secret "s" not found' } })] }), want: "Unusable", codes: ["ContainerConfigError"], message: /secret "s" not found/ },
    "agent OOM-killed and back": { pod: pod({ phase: "Running", agent: oom, ready: true }), want: "Idle", codes: ["OOMKilled"], message: /memory limit \(exit 137, restarts 1\)/ },
    "healthy": { pod: pod({ phase: "Running", agent: c("agent", running), ready: true }), want: "Idle", codes: [] },
    "tasks container in a crash loop": {
      pod: pod({ phase: "Running", agent: c("agent", running), tasks: c("tasks", { waiting: { reason: "CrashLoopBackOff", message: "back-off 20s" } }, { restartCount: 2, lastState: done(2, "usage: task-runner <fetch|agent>") }) }),
      want: "Unusable",
      codes: ["ContainerCrashLoop"],
      message: /container tasks, image \S+: CrashLoopBackOff after 2 restarts; last exit 2: usage: task-runner/,
    },
    "one restart is no crash loop (a liveness kill)": { pod: pod({ phase: "Running", agent: c("agent", { waiting: { reason: "CrashLoopBackOff" } }, { restartCount: 1, lastState: done(137) }) }), want: "Unusable", codes: [] },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const info = nodeInfo(tc.pod);
      assert.equal(info.state, tc.want);
      assert.deepEqual((info.errors ?? []).map((e) => e.code), tc.codes);
      if (tc.message) assert.match(info.errors![0]!.message, tc.message);
    });
  }
});
