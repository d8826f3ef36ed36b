// Autoscale formulas on the real local cluster: a pool grows with its queue and shrinks when
// it drains; a broken formula is reported with its position and keeps the last targets.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { AppsV1Api, type KubeConfig } from "@kubernetes/client-node";
import { repoRoot } from "../../local-cluster/state.ts";
import { kubeConfig, noCluster } from "./support/cluster.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { Kubatch } from "./support/kubatch.ts";
import { testNamespace } from "./support/namespace.ts";

describe("autoscale", { skip: noCluster }, () => {
  let kc: KubeConfig;
  let ns: { name: string; remove: () => Promise<void> };
  let k: Kubatch;

  before(async () => {
    kc = kubeConfig();
    ns = await testNamespace(kc, "autoscale");
    k = new Kubatch(kc, ns.name);
  });
  after(() => ns.remove());

  test("a pending-tasks formula grows an empty pool for 40 one-second tasks, runs them all, and returns to 0 under TaskCompletion", { timeout: 300_000 }, async (t) => {
    await k.create("Pool", "auto", {
      vmSize: "small",
      enableAutoScale: true,
      autoScaleEvaluationInterval: "5s",
      nodeDeallocationOption: "TaskCompletion",
      autoScaleFormula: "// one node per pending task, at most 4\n$tasks = $PendingTasks.GetSample(1);\n$TargetDedicatedNodes = min(4, $tasks);\n$NodeDeallocationOption = taskcompletion;",
    });
    const first = await eventually("a first evaluation", 30_000, async () => (await k.pool("auto")).status?.autoScaleRun);
    assert.equal(first.error, undefined);
    assert.match(first.results ?? "", /^\$TargetDedicatedNodes=0;\$TargetLowPriorityNodes=0;\$NodeDeallocationOption=taskcompletion;\$tasks=\[?0\]?;?$/);
    await k.create("Job", "work", { poolInfo: { poolId: "auto" }, onAllTasksComplete: "TerminateJob" });
    const queued = Date.now();
    await k.createMany("Task", Array.from({ length: 40 }, (_, i) => ({ name: `work-${i}`, spec: { jobName: "work", commandLine: "sleep 1" } })));
    const apps = kc.makeApiClient(AppsV1Api);
    const replicas = async () => (await apps.readNamespacedDeployment({ name: "auto-dedicated", namespace: ns.name }).catch(() => undefined))?.spec?.replicas ?? 0;
    await eventually("the Deployment to grow", 60_000, async () => ((await replicas()) > 0 ? true : undefined));
    const reaction = Date.now() - queued;
    t.diagnostic(`queue change → new Deployment replica count: ${reaction} ms (evaluation every 5 s, samples every 1 s)`);
    const grown = await eventually("target 4 from the formula", 60_000, async () => {
      const p = await k.pool("auto");
      return p.status?.targetDedicatedNodes === 4 ? p : undefined;
    });
    const decidedAt = Date.parse(grown.status!.autoScaleRun!.timestamp);
    await eventually("the Deployment at 4 replicas", 10_000, async () => ((await replicas()) === 4 ? true : undefined));
    assert.ok(Date.now() - decidedAt < 3_000, "applied within about 2 s of the evaluation (1 s of polling slack)");
    const job = await eventually("the job done", 180_000, async () => {
      const j = await k.job("work");
      return j.status?.state === "Completed" ? j : undefined;
    });
    assert.equal(job.status?.taskCounts?.succeeded, 40, "every task ran to success: none killed by the scale-in");
    for (const task of await k.tasks()) if (task.metadata.name.startsWith("work-")) assert.equal(task.status?.executionInfo?.requeueCount ?? 0, 0, task.metadata.name);
    await eventually("the pool back to 0 nodes", 90_000, async () => {
      const s = (await k.pool("auto")).status;
      return s?.targetDedicatedNodes === 0 && s.nodeCounts?.total === 0 ? true : undefined;
    }, async () => JSON.stringify((await k.pool("auto")).status?.nodeCounts));
  });

  test("node metrics: a task's CPU, memory and disk reach $CPUPercent, $MemoryBytes and $DiskBytes from the node pod", { timeout: 240_000 }, async (t) => {
    const formula = [
      // An empty pool has no samples: the guard keeps the formula from failing (and the pool
      // from never growing), as Azure's published CPU formulas guard with GetSamplePercent.
      "$TargetDedicatedNodes = 1;",
      "$sampled = $CPUPercent.Count() > 0;",
      "$cpu = $sampled ? $CPUPercent.GetSample(1) : -1;",
      "$mem = $sampled ? $MemoryBytes.GetSample(1) : -1;",
      "$disk = $sampled ? $DiskBytes.GetSample(1) : -1;",
      "$netIn = $sampled ? $NetworkInBytes.GetSample(1) : -1;",
    ].join("\n");
    await k.create("Pool", "metrics", { vmSize: "small", enableAutoScale: true, autoScaleEvaluationInterval: "5s", autoScaleFormula: formula });
    const value = (results: string, name: string) => Number(new RegExp(`\\$${name}=\\[?([0-9.e+-]+)`).exec(results)?.[1] ?? NaN);
    const idle = await eventually("an evaluation with the idle node's metrics", 120_000, async () => {
      const run = (await k.pool("metrics")).status?.autoScaleRun;
      return run?.results && !run.error && value(run.results, "cpu") >= 0 ? run.results : undefined;
    }, async () => JSON.stringify((await k.pool("metrics")).status?.autoScaleRun));
    t.diagnostic(`idle: ${idle}`);
    assert.ok(value(idle, "mem") > 1e6, "the agent and runner use memory");
    assert.ok(value(idle, "netIn") >= 0);
    await k.create("Job", "burn", { poolInfo: { poolId: "metrics" } });
    // 64 MiB on the node's disk, then 256 MiB held while one core spins for 90 s.
    const burn = `/bin/sh -c "dd if=/dev/zero of=big bs=1M count=64 status=none && node -e 'const b = Buffer.alloc(256 * 2 ** 20, 1); const end = Date.now() + 90000; while (Date.now() < end) b[0]++'"`;
    await k.create("Task", "burn-1", { jobName: "burn", commandLine: burn });
    const busy = await eventually("an evaluation while the task spins", 120_000, async () => {
      const run = (await k.pool("metrics")).status?.autoScaleRun;
      const r = run?.results ?? "";
      return value(r, "mem") > 256e6 && value(r, "disk") > 64e6 && value(r, "cpu") > value(idle, "cpu") + 15 ? r : undefined;
    }, async () => JSON.stringify((await k.pool("metrics")).status?.autoScaleRun));
    t.diagnostic(`busy: ${busy}`);
    // The pool goes, and with it the spinning task: the tests after this one get the CPU back.
    await k.custom.deleteNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", namespace: ns.name, plural: "pools", name: "metrics" });
  });

  test("kubatch pool autoscale evaluates a formula against the pool now without applying it", async () => {
    const cli = (...args: string[]) => promisify(execFile)(join(repoRoot, "bin", "kubatch"), ["pool", "autoscale", "auto", "-n", ns.name, ...args], { env: process.env });
    const { stdout } = await cli("--formula", "$TargetDedicatedNodes = 7; $x = $PendingTasks.GetSample(1);");
    assert.match(stdout, /\$TargetDedicatedNodes=7;/);
    assert.match(stdout, /would set 7 dedicated/);
    await assert.rejects(cli("--formula", "$TargetDedicatedNodes = $CPUPercent.GetSample(TimeInterval_Minute);"), /InsufficientSampleData[\s\S]*Line 1, Col \d+/);
    assert.equal((await k.pool("auto")).status?.targetDedicatedNodes, 0, "nothing applied");
  });

  test("a formula error is recorded with its line and column, and the targets stay", { timeout: 60_000 }, async () => {
    await k.create("Pool", "broken", { vmSize: "small", enableAutoScale: true, autoScaleEvaluationInterval: "5s", autoScaleFormula: "$TargetDedicatedNodes = 1;\n$x = $CPUPercent.GetSample(TimeInterval_Minute * 5);" });
    const run = await eventually("an evaluation error", 30_000, async () => (await k.pool("broken")).status?.autoScaleRun?.error);
    assert.equal(run.code, "InsufficientSampleData");
    assert.match(JSON.stringify(run.values), /Line 2, Col \d+/);
    assert.equal((await k.pool("broken")).status?.targetDedicatedNodes ?? 0, 0, "the last good target (none yet: 0) stays");
  });
});
