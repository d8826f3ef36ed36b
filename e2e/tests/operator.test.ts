// The operator process itself: metrics after a job, and leader election between two
// replicas (killing the leader moves the lease; the job finishes with no task lost or run twice;
// a leader whose cache sync outlasts the lease keeps it, so no second leader ever writes beside it).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CoordinationV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { deployLocal, type LocalOperator } from "../../local-cluster/deploy-local.ts";
import { freePort } from "../../local-cluster/ports.ts";
import { eventually, get } from "../../local-cluster/probe.ts";
import { isAlive, startDetached } from "../../local-cluster/processes.ts";
import { clusterPaths, repoRoot } from "../../local-cluster/state.ts";
import { kubeConfig, localCluster } from "./support/cluster.ts";
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
      dispatched: new RegExp(`^kubatch_tasks_dispatched_total\\{namespace="${ns.name}",pool="p"\\}`),
      "completed successes": new RegExp(`^kubatch_tasks_completed_total\\{namespace="${ns.name}",pool="p",result="Success"\\}`),
      "completed failures": new RegExp(`^kubatch_tasks_completed_total\\{namespace="${ns.name}",pool="p",result="Failure"\\}`),
      "start latency": new RegExp(`^kubatch_task_start_latency_seconds_count\\{namespace="${ns.name}",pool="p"\\}`),
      "task durations": new RegExp(`^kubatch_task_duration_seconds_count\\{namespace="${ns.name}",pool="p",result="(Success|Failure)"\\}`),
      "completed jobs": new RegExp(`^kubatch_jobs\\{namespace="${ns.name}",state="Completed"\\}`),
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

  test("a leader whose cache sync outlasts the lease keeps the lease meanwhile: no second leader, and the job runs exactly once", { timeout: 300_000 }, async () => {
    const info = localCluster()!;
    const dir = hostFolder("sync-", shared);
    const runs = join(dir, "runs.log");
    const core = kc.makeApiClient(CoreV1Api);
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    const coordination = kc.makeApiClient(CoordinationV1Api);
    const lease = "slow-sync";
    const sa = "slow-sync";
    const binding = `${ns.name}-slow-sync`;
    process.kill(operator().pid, "SIGTERM");
    await eventually("the harness operator to stop", 30_000, async () => (isAlive(operator().pid) ? undefined : true));
    const replicas: { pid: number; log: string; from: number }[] = [];
    const start = async (name: string, kubeconfig: string) => {
      const args = [join(repoRoot, "operator", "src", "main.ts"), `--config=${join(paths.clusterDir, "operator-config.yaml")}`, "--leader-elect", `--leader-election-namespace=${ns.name}`, `--leader-election-id=${lease}`, `--health-addr=127.0.0.1:${await freePort()}`, `--metrics-addr=127.0.0.1:${await freePort()}`];
      const logName = `operator-slow-sync-${name}`;
      const from = existsSync(join(paths.logs, `${logName}.log`)) ? statSync(join(paths.logs, `${logName}.log`)).size : 0;
      const started = startDetached(logName, process.execPath, args, { clusterId: info.id, logDir: paths.logs, env: { KUBECONFIG: kubeconfig, POD_NAME: `replica-${name}` } });
      replicas.push({ pid: started.pid, log: started.log, from });
    };
    const holder = async () => (await coordination.readNamespacedLease({ name: lease, namespace: ns.name }).catch(() => undefined))?.spec?.holderIdentity;
    try {
      // Replica a may hold the lease but list nothing: its caches cannot sync until the test
      // grants it the rest (an RBAC lag — any sync that takes longer than the lease).
      await core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: sa } } });
      await rbac.createNamespacedRole({ namespace: ns.name, body: { metadata: { name: sa }, rules: [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] }] } });
      await rbac.createNamespacedRoleBinding({
        namespace: ns.name,
        body: { metadata: { name: sa }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: sa }, subjects: [{ kind: "ServiceAccount", name: sa, namespace: ns.name }] },
      });
      const token = (await core.createNamespacedServiceAccountToken({ name: sa, namespace: ns.name, body: { spec: { expirationSeconds: 3600 } } })).status?.token;
      assert.ok(token);
      const cluster = kc.getCurrentCluster()!;
      const tokenConfig = new KubeConfig();
      tokenConfig.loadFromOptions({ clusters: [cluster], users: [{ name: sa, token }], contexts: [{ name: sa, cluster: cluster.name, user: sa }], currentContext: sa });
      const kubeconfigA = join(dir, "kubeconfig-a");
      writeFileSync(kubeconfigA, tokenConfig.exportConfig());

      await start("a", kubeconfigA);
      const leader = await eventually("replica a leads", 30_000, async () => {
        const h = await holder();
        return h?.startsWith("replica-a-") ? h : undefined;
      });
      await start("b", info.kubeconfig);
      // Two and a half lease durations while a's caches cannot sync: the lease stays a's.
      const seen = new Set<string>();
      for (const until = Date.now() + 25_000; Date.now() < until; await new Promise((r) => setTimeout(r, 500))) seen.add((await holder()) ?? "");
      assert.deepEqual([...seen], [leader], "nobody else took the lease while the leader was syncing");
      assert.match(readFileSync(replicas[0]!.log, "utf8").slice(replicas[0]!.from), /initial list failed/, "a's caches were really not syncing");

      await rbac.createClusterRoleBinding({
        body: { metadata: { name: binding }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" }, subjects: [{ kind: "ServiceAccount", name: sa, namespace: ns.name }] },
      });
      const n = 30;
      await k.create("Job", "sync", { poolInfo: { poolId: "p" }, onAllTasksComplete: "TerminateJob" });
      await k.createMany("Task", Array.from({ length: n }, (_, i) => ({ name: `sync-${i}`, spec: { jobName: "sync", commandLine: `/bin/sh -c "echo $AZ_BATCH_TASK_ID >> ${runs}"` } })));
      const job = await eventually("job sync completed", 150_000, async () => {
        seen.add((await holder()) ?? "");
        const j = await k.job("sync");
        return j.status?.state === "Completed" ? j : undefined;
      });
      assert.deepEqual([...seen], [leader], "one leader throughout");
      assert.doesNotMatch(readFileSync(replicas[1]!.log, "utf8").slice(replicas[1]!.from), / leads/, "replica b never led");
      assert.equal(job.status?.taskCounts?.succeeded, n);
      const lines = readFileSync(runs, "utf8").split("\n").filter(Boolean);
      assert.equal(lines.length, n, "no task ran twice");
      assert.equal(new Set(lines).size, n, "no task lost");
    } finally {
      for (const { pid } of replicas) if (isAlive(pid)) process.kill(pid, "SIGKILL");
      await rbac.deleteClusterRoleBinding({ name: binding }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      await deployLocal({ paths, log: () => {} });
    }
  });
});
