// Fault injection on the real node: failing status writes, a frozen API server, agents killed
// mid-task and after it, a task that kills its agent every time, node pods that end, are
// evicted or force-deleted. The ground truth is outside the cluster: every task logs its
// starts and ends to a host folder (support/run-log.ts), and each case compares that log with
// the API's final state — nothing lost, nothing run more often than its retries and requeues
// allow.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { nodeLabel } from "../../api/labels.ts";
import { mergePatch } from "../../kube/apply.ts";
import { taskInterrupted } from "../../api/failure-codes.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { agentPids } from "./support/agent-process.ts";
import { agentsThrough, startFaultProxy, type FaultProxy, type FaultRule } from "./support/api-fault-proxy.ts";
import { kubeConfig, localCluster, noCluster } from "./support/cluster.ts";
import { hostFolder } from "./support/host-folder.ts";
import { Kubatch } from "./support/kubatch.ts";
import { testNamespace } from "./support/namespace.ts";
import { assertExact, runs, shellTask } from "./support/run-log.ts";

const statusWrite = /^PATCH \/apis\/kubatch\.dev\/v1alpha1\/namespaces\/[^/]+\/tasks\/([^/?]+)\/status/;

describe("faults", { skip: noCluster ?? (localCluster() ? undefined : "needs the embedded cluster (its API server process and real node)") }, () => {
  let kc: KubeConfig;
  let ns: { name: string; remove: () => Promise<void> };
  let k: Kubatch;
  let dir: string;
  let proxy: FaultProxy;

  /** Pool fields: the host folder in every node, and (through) the agents' API calls via the fault proxy. */
  const nodeSpec = (through: boolean) => ({
    podTemplate: {
      spec: {
        volumes: [{ name: "host-folder", hostPath: { path: dir, type: "Directory" } }],
        containers: [
          { name: "agent", volumeMounts: [{ name: "host-folder", mountPath: dir }], ...(through ? { env: agentsThrough(proxy) } : {}) },
          { name: "tasks", volumeMounts: [{ name: "host-folder", mountPath: dir }] },
        ],
      },
    },
  });

  before(async () => {
    kc = kubeConfig();
    ns = await testNamespace(kc, "faults");
    k = new Kubatch(kc, ns.name);
    dir = hostFolder("kubatch-faults-");
    proxy = await startFaultProxy(localCluster()!);
    await Promise.all([k.warmPool("flaky", 3, { taskSlotsPerNode: 4, ...nodeSpec(true) }), k.warmPool("direct", 2, { taskSlotsPerNode: 2, ...nodeSpec(false) })]);
  });
  after(async () => {
    await ns.remove();
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const completed = (job: string, n: number, ms: number) =>
    eventually(`${n} tasks of ${job} completed`, ms, async () => {
      const tasks = (await k.tasks(`job=${job}`)).filter((t) => t.status?.state === "Completed");
      return tasks.length === n ? tasks : undefined;
    }, async () => JSON.stringify((await k.job(job)).status?.taskCounts));

  test("status writes that fail (1 %, then a 60 s burst of 503, 429 and resets) run no task twice", { timeout: 420_000 }, async () => {
    const n = 1000;
    const log = join(dir, "flaky.log");
    const kinds = [{ status: 503 }, { status: 429 }, "reset"] as const;
    let i = 0;
    const sometimes: FaultRule = ({ method, path }) => (statusWrite.test(`${method} ${path}`) && Math.random() < 0.01 ? kinds[i++ % 3]! : "pass");
    const always: FaultRule = ({ method, path }) => (statusWrite.test(`${method} ${path}`) ? kinds[i++ % 3]! : "pass");
    proxy.setRule(sometimes);
    await k.create("Job", "flaky", { poolInfo: { poolId: "flaky" }, onAllTasksComplete: "TerminateJob" });
    await k.createMany("Task", Array.from({ length: n }, (_, j) => ({ name: `f-${j}`, labels: { job: "flaky" }, spec: { jobName: "flaky", commandLine: shellTask(log, "true") } })));
    await eventually("a third of the tasks ended", 180_000, async () => (runs(log).filter((r) => r.end).length >= n / 3 ? true : undefined));
    proxy.setRule(always);
    const faultsBefore = Object.values(proxy.counts.faults).reduce((a, b) => a + b, 0);
    await new Promise((r) => setTimeout(r, 60_000));
    const burst = Object.values(proxy.counts.faults).reduce((a, b) => a + b, 0) - faultsBefore;
    proxy.setRule(sometimes);
    const tasks = await completed("flaky", n, 240_000);
    proxy.setRule(() => "pass");
    assert.ok(burst > 0, "the burst refused status writes");
    for (const t of tasks) assert.equal(t.status?.executionInfo?.result, "Success", t.metadata.name);
    assertExact(log, tasks);
    assert.equal(runs(log).length, n, "each task started once");
    console.log(`# flaky: ${n} tasks, ${proxy.counts.requests} requests through the proxy, faults ${JSON.stringify(proxy.counts.faults)} (${burst} in the burst)`);
  });

  // 10 s is a hiccup; 60 s outlasts the kubelet's node lease (40 s), so the node may go NotReady meanwhile.
  for (const seconds of [10, 60]) {
    test(`the API server frozen (SIGSTOP) for ${seconds} s mid-job: no task starts more often than its requeues allow, dispatch resumes`, { timeout: 360_000 }, async () => {
      const n = 200;
      const job = `frozen-${seconds}`;
      const log = join(dir, `${job}.log`);
      const apiserver = localCluster()!.processes.find((p) => p.name === "kube-apiserver")!;
      await k.create("Job", job, { poolInfo: { poolId: "direct" }, onAllTasksComplete: "TerminateJob" });
      await k.createMany("Task", Array.from({ length: n }, (_, j) => ({ name: `z${seconds}-${j}`, labels: { job }, spec: { jobName: job, commandLine: shellTask(log, "sleep 0.2") } })));
      await eventually("some tasks ended", 120_000, async () => (runs(log).filter((r) => r.end).length >= 40 ? true : undefined));
      process.kill(apiserver.pid, "SIGSTOP");
      let contAt = 0;
      try {
        await new Promise((r) => setTimeout(r, seconds * 1000));
      } finally {
        process.kill(apiserver.pid, "SIGCONT");
        contAt = Date.now();
      }
      const tasks = await completed(job, n, 300_000);
      for (const t of tasks) assert.equal(t.status?.executionInfo?.result, "Success", t.metadata.name);
      assertExact(log, tasks);
      // The run log's times are in µs.
      const resumed = runs(log).filter((r) => r.start / 1000 > contAt).map((r) => Math.round(r.start / 1000 - contAt));
      const requeues = tasks.reduce((sum, t) => sum + (t.status?.executionInfo?.requeueCount ?? 0), 0);
      console.log(`# API server frozen ${seconds} s: ${resumed.length} tasks started after it woke, the first ${Math.min(...resumed)} ms after; ${runs(log).length} starts for ${n} tasks, ${requeues} requeues`);
    });
  }

  test("an agent killed while its task runs: the attempt counts against maxTaskRetryCount, the task runs once more", { timeout: 180_000 }, async () => {
    const log = join(dir, "killed.log");
    await k.create("Job", "killed", { poolInfo: { poolId: "direct" } });
    await k.create("Task", "k-1", { jobName: "killed", commandLine: shellTask(log, "sleep 4"), constraints: { maxTaskRetryCount: 1 } }, { job: "killed" });
    const node = await eventually("k-1 started", 60_000, async () => runs(log).find((r) => r.task === "k-1")?.node);
    const pids = agentPids(node);
    assert.equal(pids.length, 1, `one agent process for ${node}`);
    process.kill(pids[0]!, "SIGKILL");
    const t = await eventually("k-1 completed", 120_000, async () => {
      const x = await k.task("k-1");
      return x.status?.state === "Completed" ? x : undefined;
    });
    assert.equal(t.status?.executionInfo?.result, "Success");
    assert.equal(t.status?.executionInfo?.retryCount, 1, "the killed attempt counted");
    assert.equal(t.status?.executionInfo?.requeueCount ?? 0, 0);
    assertExact(log, [t]);
  });

  test("an agent killed after its task ended, before the Completed write landed: the result is reported, the task not run again", { timeout: 180_000 }, async () => {
    const log = join(dir, "unreported.log");
    proxy.setRule(({ method, path }) => (statusWrite.exec(`${method} ${path}`)?.[1] === "u-1" ? { status: 503 } : "pass"));
    try {
      await k.create("Job", "unreported", { poolInfo: { poolId: "flaky" } });
      await k.create("Task", "u-1", { jobName: "unreported", commandLine: shellTask(log, "echo done") }, { job: "unreported" });
      const run = await eventually("u-1 ended", 60_000, async () => runs(log).find((r) => r.task === "u-1" && r.end !== undefined));
      const core = kc.makeApiClient(CoreV1Api);
      const restarts = async () => (await core.readNamespacedPod({ name: run.node, namespace: ns.name })).status?.containerStatuses?.find((c) => c.name === "agent")?.restartCount ?? 0;
      const before = await restarts();
      for (const pid of agentPids(run.node)) process.kill(pid, "SIGKILL");
      await eventually("the agent restarted", 90_000, async () => ((await restarts()) > before && agentPids(run.node).length === 1 ? true : undefined));
    } finally {
      proxy.setRule(() => "pass");
    }
    const t = await eventually("u-1 completed", 90_000, async () => {
      const x = await k.task("u-1");
      return x.status?.state === "Completed" ? x : undefined;
    });
    assert.equal(t.status?.executionInfo?.result, "Success");
    assert.equal(t.status?.executionInfo?.retryCount, 0);
    assert.match(t.status?.stdoutTail ?? "", /done/);
    assert.equal(runs(log).length, 1, "run once");
  });

  test("a task that restarts its agent every time ends after its retries with a clear failure; the node goes on", { timeout: 240_000 }, async () => {
    const log = join(dir, "poison.log");
    await k.create("Job", "poison", { poolInfo: { poolId: "direct" } });
    await k.create("Task", "p-1", { jobName: "poison", commandLine: shellTask(log, "kill -TERM 1; sleep 60"), constraints: { maxTaskRetryCount: 1 } }, { job: "poison" });
    const t = await eventually("p-1 completed", 200_000, async () => {
      const x = await k.task("p-1");
      return x.status?.state === "Completed" ? x : undefined;
    });
    assert.equal(t.status?.executionInfo?.result, "Failure");
    assert.equal(t.status?.executionInfo?.failureInfo?.code, taskInterrupted);
    assert.equal(t.status?.executionInfo?.retryCount, 1);
    assert.equal(runs(log).length, 2, "1 + maxTaskRetryCount attempts");
    await k.create("Task", "after-poison", { jobName: "poison", commandLine: shellTask(log, "true") }, { job: "poison" });
    await eventually("the next task ran", 90_000, async () => ((await k.task("after-poison")).status?.executionInfo?.result === "Success" ? true : undefined));
  });

  // Node loss (acceptance 6): however a node pod goes, its tasks leave it within 30 s and run once more elsewhere.
  const nodeLosses: Record<string, (core: CoreV1Api, pod: string) => Promise<unknown>> = {
    "ended (phase Failed) and stays in the API": (core, pod) =>
      core.patchNamespacedPodStatus({ name: pod, namespace: ns.name, body: { status: { phase: "Failed", reason: "Evicted", message: "injected by the fault suite" } } }, mergePatch),
    "evicted through the Eviction API (graceful)": (core, pod) =>
      core.createNamespacedPodEviction({ name: pod, namespace: ns.name, body: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: pod, namespace: ns.name } } }),
    "force-deleted (grace period 0)": (core, pod) => core.deleteNamespacedPod({ name: pod, namespace: ns.name, gracePeriodSeconds: 0 }),
  };
  for (const [i, [how, lose]] of Object.entries(nodeLosses).entries()) {
    test(`a node pod ${how}: its tasks are requeued within 30 s and each runs once more`, { timeout: 240_000 }, async () => {
      const job = `lost-${i}`;
      const log = join(dir, `${job}.log`);
      await k.create("Job", job, { poolInfo: { poolId: "direct" }, onAllTasksComplete: "TerminateJob" });
      await k.createMany("Task", Array.from({ length: 4 }, (_, j) => ({ name: `${job}-${j}`, labels: { job }, spec: { jobName: job, commandLine: shellTask(log, "sleep 20") } })));
      // All four Running in the API (2 nodes × 2 slots), so each start on the victim is one the
      // operator knows of: a task requeued before its Running write was seen is not counted.
      const running = await eventually("the 4 tasks Running", 60_000, async () => {
        const tasks = await k.tasks(`job=${job}`);
        return tasks.length === 4 && tasks.every((t) => t.status?.state === "Running") ? tasks : undefined;
      });
      const victim = running[0]!.metadata.labels![nodeLabel]!;
      const onVictim = running.filter((t) => t.metadata.labels?.[nodeLabel] === victim).map((t) => t.metadata.name);
      const core = kc.makeApiClient(CoreV1Api);
      const lostAt = Date.now();
      await lose(core, victim);
      await eventually("the lost node's tasks requeued", 30_000, async () => {
        const tasks = await k.tasks(`job=${job}`);
        return onVictim.every((name) => tasks.find((t) => t.metadata.name === name)?.metadata.labels?.[nodeLabel] !== victim) ? true : undefined;
      });
      console.log(`# node pod ${how}: its ${onVictim.length} task(s) requeued ${Date.now() - lostAt} ms after`);
      const tasks = await completed(job, 4, 180_000);
      for (const name of onVictim) assert.equal(tasks.find((t) => t.metadata.name === name)?.status?.executionInfo?.requeueCount, 1, name);
      for (const t of tasks) assert.equal(t.status?.executionInfo?.result, "Success", t.metadata.name);
      assertExact(log, tasks);
      // The pool is whole again for the next case.
      await eventually("pool direct has its 2 nodes idle again, and no other", 120_000, async () => {
        const counts = (await k.pool("direct")).status?.nodeCounts;
        return counts?.idle === 2 && counts.total === 2 ? true : undefined;
      }, async () => JSON.stringify((await k.pool("direct")).status?.nodeCounts));
      assert.ok(!(await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: ns.name })).items.some((p) => p.metadata?.name === victim), `${victim} is gone from the API`);
    });
  }
});
