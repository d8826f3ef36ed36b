// Autoscale formulas on the real local cluster: a pool grows with its queue and shrinks when
// it drains; a broken formula is reported with its position and keeps the last targets.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AppsV1Api, type KubeConfig } from "@kubernetes/client-node";
import { kubeConfig, noCluster } from "./support/cluster.ts";
import { eventually } from "./support/eventually.ts";
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

  test("the pool follows $PendingTasks up and back down, and each decision reaches the Deployment within 2 s", { timeout: 180_000 }, async () => {
    await k.create("Pool", "auto", {
      vmSize: "small",
      enableAutoScale: true,
      autoScaleEvaluationInterval: "5s",
      autoScaleFormula: "// one node per pending task, at most 3\n$tasks = $PendingTasks.GetSample(1);\n$TargetDedicatedNodes = min(3, $tasks);\n$NodeDeallocationOption = taskcompletion;",
    });
    const first = await eventually("a first evaluation", 30_000, async () => (await k.pool("auto")).status?.autoScaleRun);
    assert.equal(first.error, undefined);
    assert.match(first.results ?? "", /^\$TargetDedicatedNodes=0;\$TargetLowPriorityNodes=0;\$NodeDeallocationOption=taskcompletion;\$tasks=\[?0\]?;?$/);
    await k.create("Job", "work", { poolInfo: { poolId: "auto" }, onAllTasksComplete: "TerminateJob" });
    await k.createMany("Task", Array.from({ length: 6 }, (_, i) => ({ name: `work-${i}`, spec: { jobName: "work", commandLine: "sleep 4" } })));
    const grown = await eventually("target 3 from the formula", 60_000, async () => {
      const p = await k.pool("auto");
      return p.status?.targetDedicatedNodes === 3 ? p : undefined;
    });
    const decidedAt = Date.parse(grown.status!.autoScaleRun!.timestamp);
    const apps = kc.makeApiClient(AppsV1Api);
    await eventually("the Deployment at 3 replicas", 10_000, async () => ((await apps.readNamespacedDeployment({ name: "auto-dedicated", namespace: ns.name })).spec?.replicas === 3 ? true : undefined));
    assert.ok(Date.now() - decidedAt < 2_000 + 1_000, "applied within about 2 s of the evaluation (1 s of polling slack)");
    await eventually("the job done", 120_000, async () => ((await k.job("work")).status?.state === "Completed" ? true : undefined));
    await eventually("the pool back to 0 nodes", 60_000, async () => {
      const s = (await k.pool("auto")).status;
      return s?.targetDedicatedNodes === 0 && s.nodeCounts?.total === 0 ? true : undefined;
    }, async () => JSON.stringify((await k.pool("auto")).status?.nodeCounts));
  });

  test("a formula error is recorded with its line and column, and the targets stay", { timeout: 60_000 }, async () => {
    await k.create("Pool", "broken", { vmSize: "small", enableAutoScale: true, autoScaleEvaluationInterval: "5s", autoScaleFormula: "$TargetDedicatedNodes = 1;\n$x = $CPUPercent.GetSample(TimeInterval_Minute * 5);" });
    const run = await eventually("an evaluation error", 30_000, async () => (await k.pool("broken")).status?.autoScaleRun?.error);
    assert.equal(run.code, "InsufficientSampleData");
    assert.match(JSON.stringify(run.values), /Line 2, Col \d+/);
    assert.equal((await k.pool("broken")).status?.targetDedicatedNodes ?? 0, 0, "the last good target (none yet: 0) stays");
  });
});
