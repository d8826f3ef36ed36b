// The operator process itself: metrics after a job, and leader election between two
// replicas (killing the leader moves the lease; the job finishes with no task lost or run twice).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CoordinationV1Api, type KubeConfig } from "@kubernetes/client-node";
import { deployLocal, type LocalOperator } from "../../local-cluster/deploy-local.ts";
import { freePort } from "../../local-cluster/ports.ts";
import { get } from "../../local-cluster/probe.ts";
import { isAlive, startDetached } from "../../local-cluster/processes.ts";
import { clusterPaths, repoRoot } from "../../local-cluster/state.ts";
import { kubeConfig, localCluster } from "./support/cluster.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { Kubatch } from "./support/kubatch.ts";
import { testNamespace } from "./support/namespace.ts";
import { hostFolder, mountHostFolder } from "./support/host-folder.ts";

const skip = localCluster() ? undefined : "needs the embedded local cluster (it starts operator processes)";

describe("the operator process", { skip }, () => {
  let kc: KubeConfig;
  let ns: { name: string; remove: () => Promise<void> };
  let k: Kubatch;
  let shared: string;
  const paths = clusterPaths();
  const operator = () => JSON.parse(readFileSync(join(paths.clusterDir, "operator.json"), "utf8")) as LocalOperator;

  before(async () => {
    kc = kubeConfig();
    ns = await testNamespace(kc, "operator");
    k = new Kubatch(kc, ns.name);
    shared = hostFolder("kubatch-le-");
    await k.warmPool("p", 2, { taskSlotsPerNode: 2, ...mountHostFolder(shared) });
  });
  after(() => ns.remove());

  test("metrics show every family, with non-zero values after a job", async () => {
    await k.create("Job", "m", { poolInfo: { poolId: "p" }, onAllTasksComplete: "TerminateJob" });
    await k.createMany("Task", Array.from({ length: 10 }, (_, i) => ({ name: `m-${i}`, spec: { jobName: "m", commandLine: `/bin/sh -c 'exit ${i % 2}'` } })));
    await eventually("job m completed", 60_000, async () => ((await k.job("m")).status?.state === "Completed" ? true : undefined));
    const text = await eventually("metrics", 10_000, async () => {
      const res = await get(`http://127.0.0.1:${operator().metricsPort}/metrics`);
      return res.status === 200 && /kubatch_workqueue_depth\{/.test(res.body) ? res.body : undefined;
    });
    const value = (pattern: RegExp) => text.split("\n").filter((l) => pattern.test(l)).reduce((n, l) => n + Number(l.split(" ").pop()), 0);
    const nonZero: Record<string, RegExp> = {
      reconciles: /^kubatch_controller_reconciles_total\{controller="pool"\}/,
      "reconcile durations": /^kubatch_controller_reconcile_duration_seconds_count\{controller="dispatch"\}/,
      dispatched: /^kubatch_tasks_dispatched_total /,
      "completed successes": /^kubatch_tasks_completed_total\{result="Success"\}/,
      "completed failures": /^kubatch_tasks_completed_total\{result="Failure"\}/,
      "start latency": /^kubatch_task_start_latency_seconds_count /,
      "pool nodes": new RegExp(`^kubatch_pool_nodes\\{namespace="${ns.name}",pool="p",state="(idle|running)"\\}`),
      leader: /^kubatch_leader_election_is_leader /,
    };
    for (const [name, pattern] of Object.entries(nonZero)) assert.ok(value(pattern) > 0, `${name}: ${pattern}`);
    for (const family of ["kubatch_workqueue_depth", "kubatch_pool_pending_tasks", "kubatch_tasks_requeued_total", "kubatch_controller_reconcile_errors_total", "kubatch_autoscale_evaluations_total"]) {
      assert.match(text, new RegExp(`# TYPE ${family} `), family);
    }
  });

  test("with two replicas, killing the leader moves leadership within 15 s and the job completes exactly once", { timeout: 240_000 }, async () => {
    const info = localCluster()!;
    const dir = hostFolder("run-", shared);
    const log = join(dir, "runs.log");
    // The harness's operator does not elect: stop it and run two electing replicas instead.
    process.kill(operator().pid, "SIGTERM");
    await eventually("the harness operator to stop", 30_000, async () => (isAlive(operator().pid) ? undefined : true));
    const replicas: number[] = [];
    try {
      for (const name of ["a", "b"]) {
        // The harness's configuration: another one would change the node pods' template and roll the nodes.
        const args = [join(repoRoot, "operator", "src", "main.ts"), `--config=${join(paths.clusterDir, "operator-config.yaml")}`, "--leader-elect", `--leader-election-namespace=${ns.name}`, `--health-addr=127.0.0.1:${await freePort()}`, `--metrics-addr=127.0.0.1:${await freePort()}`];
        replicas.push(startDetached(`operator-replica-${name}`, process.execPath, args, { clusterId: info.id, logDir: paths.logs, env: { KUBECONFIG: info.kubeconfig, POD_NAME: `replica-${name}` } }).pid);
      }
      const coordination = kc.makeApiClient(CoordinationV1Api);
      const holder = async () => (await coordination.readNamespacedLease({ name: "kubatch-operator", namespace: ns.name })).spec?.holderIdentity;
      const first = await eventually("a leader", 30_000, async () => (await holder()) || undefined);
      const leaderPid = replicas.find((pid) => first.endsWith(`-${pid}`))!;
      assert.ok(leaderPid, `the lease holder ${first} is one of the replicas`);

      const n = 60;
      await k.create("Job", "le", { poolInfo: { poolId: "p" }, onAllTasksComplete: "TerminateJob" });
      await k.createMany("Task", Array.from({ length: n }, (_, i) => ({ name: `le-${i}`, spec: { jobName: "le", commandLine: `/bin/sh -c "echo $AZ_BATCH_TASK_ID >> ${log}; sleep 0.3"` } })));
      await eventually("tasks running", 30_000, async () => ((await k.tasks()).some((t) => t.metadata.name.startsWith("le-") && t.status?.state === "Completed") ? true : undefined));
      process.kill(leaderPid, "SIGKILL");
      const killedAt = Date.now();
      const next = await eventually("a new leader", 30_000, async () => {
        const h = await holder();
        return h && h !== first ? h : undefined;
      });
      assert.ok(Date.now() - killedAt <= 15_000, `leadership moved in ${Date.now() - killedAt} ms`);
      assert.ok(replicas.some((pid) => pid !== leaderPid && next.endsWith(`-${pid}`)));
      const job = await eventually("job le completed", 120_000, async () => {
        const j = await k.job("le");
        return j.status?.state === "Completed" ? j : undefined;
      });
      assert.equal(job.status?.taskCounts?.succeeded, n);
      const lines = readFileSync(log, "utf8").split("\n").filter(Boolean);
      assert.equal(lines.length, n, "no task ran twice");
      assert.equal(new Set(lines).size, n, "no task lost");
    } finally {
      for (const pid of replicas) if (isAlive(pid)) process.kill(pid, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      await deployLocal({ paths, log: () => {} });
    }
  });
});
