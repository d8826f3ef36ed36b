// The operator SIGKILLed at injected points (kube/failpoint.ts) — right after an assignment
// write, between the two writes of a requeue (status written, label not yet removed), in the
// middle of blocked-task explanations — then started again, unarmed, as a new process would
// be after a crash: nothing is lost and nothing runs twice. The ground truth is outside the
// cluster: every task logs its starts and ends to a host folder (support/run-log.ts), and each
// case compares that log with the API's final state (starts = 1 + requeueCount). Last, a
// leader frozen (SIGSTOP) past its lease: the other replica takes over, and the frozen one,
// woken, writes nothing — each replica reaches the API through a proxy of its own, whose
// record of requests is the audit log of who wrote when.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CoordinationV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { nodeLabel } from "../../api/labels.ts";
import type { TaskStatus } from "../../api/task.ts";
import { failpointsVar } from "../../kube/failpoint.ts";
import { deployLocal, type LocalOperator } from "../../local-cluster/deploy-local.ts";
import { freePort } from "../../local-cluster/ports.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { isAlive, startDetached } from "../../local-cluster/processes.ts";
import { clusterPaths, repoRoot } from "../../local-cluster/state.ts";
import { startFaultProxy, type FaultProxy } from "./support/api-fault-proxy.ts";
import { kubeConfig, localCluster, noCluster } from "./support/cluster.ts";
import { hostFolder, mountHostFolder } from "./support/host-folder.ts";
import { Kubatch, type Obj } from "./support/kubatch.ts";
import { testNamespace } from "./support/namespace.ts";
import { assertExact, runs, shellTask } from "./support/run-log.ts";

type Tasks = Obj<TaskStatus>[];

type Case = {
  failpoint: string;
  /** The hit that kills. */
  hit: number;
  job: string;
  tasks: number;
  /** With the armed operator running: creates the job and does what reaches the failpoint. */
  start(log: string): Promise<void>;
  /** The job's tasks as the dead operator left them. */
  atCrash(tasks: Tasks): void;
  /** With the restarted operator: what the job needs to finish. */
  resume?(): Promise<void>;
  /** Beyond starts = 1 + requeueCount and every result a success. */
  check(tasks: Tasks, log: string): void;
};

describe("operator crashes", { skip: noCluster ?? (localCluster() ? undefined : "needs the embedded cluster (it restarts the local operator process)") }, () => {
  const paths = clusterPaths();
  const operatorLog = join(paths.logs, "operator.log");
  const operator = () => JSON.parse(readFileSync(join(paths.clusterDir, "operator.json"), "utf8")) as LocalOperator;
  let kc: KubeConfig;
  let ns: { name: string; remove: () => Promise<void> };
  let k: Kubatch;
  let dir: string;

  before(async () => {
    kc = kubeConfig();
    ns = await testNamespace(kc, "opcrash");
    k = new Kubatch(kc, ns.name);
    dir = hostFolder("kubatch-opcrash-");
    // This checkout's operator makes the pool's nodes, so the restarts below never roll them.
    await deployLocal({ paths, log: () => {} });
    await k.warmPool("p", 2, { taskSlotsPerNode: 4, ...mountHostFolder(dir) });
  });
  after(async () => {
    // Whatever happened, the cluster keeps an operator, unarmed.
    if (!isAlive(operator().pid) || readFileSync(`/proc/${operator().pid}/environ`, "latin1").includes(`${failpointsVar}=`)) await deployLocal({ paths, log: () => {} });
    await ns.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const tasksOf = (job: string) => k.tasks(`job=${job}`);
  const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const told = (t: Obj<TaskStatus>) => t.status?.conditions?.some((c) => c.type === "Schedulable" && c.status === "False" && c.reason === "DependenciesNotMet") ?? false;

  const cases: Case[] = [
    {
      failpoint: "dispatch.after-assign",
      hit: 3,
      job: "assign",
      tasks: 12,
      async start(log) {
        await k.create("Job", "assign", { poolInfo: { poolId: "p" }, onAllTasksComplete: "TerminateJob" });
        await k.createMany("Task", names("a", 12).map((name) => ({ name, labels: { job: "assign" }, spec: { jobName: "assign", commandLine: shellTask(log, "sleep 2") } })));
      },
      atCrash(tasks) {
        const assigned = tasks.filter((t) => t.metadata.labels?.[nodeLabel] !== undefined).length;
        assert.ok(assigned >= 3, `the assignments written before the crash stand (${assigned})`);
        console.log(`# after-assign: ${assigned} of ${tasks.length} tasks assigned when the operator died`);
      },
      check(tasks, log) {
        assert.equal(runs(log).length, 12, "each task started once");
        for (const t of tasks) assert.equal(t.status?.executionInfo?.requeueCount ?? 0, 0, t.metadata.name);
      },
    },
    {
      failpoint: "requeue.between-writes",
      hit: 3,
      job: "requeue",
      tasks: 6,
      async start(log) {
        await k.create("Job", "requeue", { poolInfo: { poolId: "p" } });
        // The first run of each task outlasts the crash and the restart; the run after the requeue is quick.
        const body = (name: string) => `test -f ${dir}/${name}.ran && exit 0; touch ${dir}/${name}.ran; sleep 90`;
        await k.createMany("Task", names("r", 6).map((name) => ({ name, labels: { job: "requeue" }, spec: { jobName: "requeue", commandLine: shellTask(log, body(name)) } })));
        await eventually("6 tasks Running", 90_000, async () => ((await tasksOf("requeue")).filter((t) => t.status?.state === "Running").length === 6 ? true : undefined));
        // The operator's cache has seen them Running (a requeue of a task never seen started is not counted).
        await sleep(2_000);
        await k.patchSpec("jobs", "requeue", { disabled: true, disableTasks: "Requeue" });
      },
      atCrash(tasks) {
        const half = tasks.filter((t) => t.status?.state === "Active" && t.metadata.labels?.[nodeLabel] !== undefined && t.status.executionInfo?.requeueCount === 1);
        assert.ok(half.length >= 1, "a requeue cut short: status written, label still there");
        console.log(`# between requeue writes: ${half.length} of ${tasks.length} tasks requeued in status but still labelled when the operator died`);
      },
      async resume() {
        const tasks = await eventually("job requeue Disabled with every task back in the queue", 90_000, async () => {
          const [job, tasks] = [await k.job("requeue"), await tasksOf("requeue")];
          return job.status?.state === "Disabled" && tasks.every((t) => t.status?.state === "Active" && t.metadata.labels?.[nodeLabel] === undefined) ? tasks : undefined;
        }, async () => JSON.stringify((await tasksOf("requeue")).map((t) => [t.metadata.name, t.status?.state, t.metadata.labels?.[nodeLabel], t.status?.executionInfo?.requeueCount])));
        for (const t of tasks) assert.equal(t.status?.executionInfo?.requeueCount, 1, `${t.metadata.name}: requeued once, counted once`);
        await k.patchSpec("jobs", "requeue", { disabled: false });
      },
      check(tasks, log) {
        for (const t of tasks) assert.equal(t.status?.executionInfo?.requeueCount, 1, t.metadata.name);
        assert.equal(runs(log).length, 12, "each task ran twice: before the requeue and after");
      },
    },
    {
      failpoint: "dispatch.during-explanations",
      hit: 5,
      job: "explain",
      tasks: 21,
      async start(log) {
        await k.create("Job", "explain", { poolInfo: { poolId: "p" }, usesTaskDependencies: true, onAllTasksComplete: "TerminateJob" });
        await k.create("Task", "x-root", { jobName: "explain", commandLine: shellTask(log, "sleep 30") }, { job: "explain" });
        await k.createMany("Task", names("x", 20).map((name) => ({ name, labels: { job: "explain" }, spec: { jobName: "explain", commandLine: shellTask(log, "true"), dependsOn: { taskIds: ["x-root"] } } })));
      },
      atCrash(tasks) {
        const n = tasks.filter(told).length;
        assert.ok(n >= 5, `the explanations written before the crash stand (${n})`);
        console.log(`# during explanations: ${n} of 20 waiting tasks told why when the operator died`);
      },
      async resume() {
        // Every waiting task is told, while the task they wait on still runs.
        await eventually("every waiting task told why it waits", 30_000, async () => {
          const tasks = await tasksOf("explain");
          assert.notEqual(tasks.find((t) => t.metadata.name === "x-root")?.status?.state, "Completed", "x-root ended before the explanations were all written");
          return tasks.filter(told).length === 20 ? true : undefined;
        });
      },
      check(_tasks, log) {
        const all = runs(log);
        assert.equal(all.length, 21, "each task started once");
        const rootEnd = all.find((r) => r.task === "x-root")?.end;
        assert.ok(rootEnd !== undefined);
        for (const r of all) if (r.task !== "x-root") assert.ok(r.start >= rootEnd, `${r.task} started after x-root ended`);
      },
    },
  ];

  for (const c of cases) {
    test(`SIGKILL at ${c.failpoint} (hit ${c.hit}), restarted unarmed: every task of job ${c.job} runs exactly 1 + requeueCount times`, { timeout: 240_000 }, async () => {
      const log = join(dir, `${c.job}.log`);
      const from = existsSync(operatorLog) ? statSync(operatorLog).size : 0;
      const armed = await deployLocal({ paths, log: () => {}, env: { [failpointsVar]: `${c.failpoint}=${c.hit}` } });
      let restarted = false;
      try {
        await c.start(log);
        await eventually(`the operator killed at ${c.failpoint}`, 90_000, async () => (isAlive(armed.pid) ? undefined : true));
        const diedAt = Date.now();
        assert.match(readFileSync(armed.log).subarray(from).toString("utf8"), new RegExp(`failpoint ${c.failpoint.replaceAll(".", "\\.")}: hit ${c.hit}, SIGKILL`));
        c.atCrash(await tasksOf(c.job));
        await deployLocal({ paths, log: () => {} });
        restarted = true;
        console.log(`# ${c.failpoint}: a new operator ready ${Date.now() - diedAt} ms after the crash`);
      } finally {
        if (!restarted) await deployLocal({ paths, log: () => {} });
      }
      await c.resume?.();
      const tasks = await eventually(`${c.tasks} tasks of ${c.job} completed`, 150_000, async () => {
        const all = await tasksOf(c.job);
        return all.filter((t) => t.status?.state === "Completed").length === c.tasks ? all : undefined;
      }, async () => JSON.stringify((await k.job(c.job)).status?.taskCounts));
      for (const t of tasks) assert.equal(t.status?.executionInfo?.result, "Success", t.metadata.name);
      assertExact(log, tasks);
      c.check(tasks, log);
    });
  }

  test("a leader frozen (SIGSTOP) past its lease: the other replica takes over, the woken one writes nothing and exits; one transition", { timeout: 240_000 }, async () => {
    const info = localCluster()!;
    const core = kc.makeApiClient(CoreV1Api);
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    const coordination = kc.makeApiClient(CoordinationV1Api);
    const lease = "frozen";
    const sa = "opcrash-replica";
    const binding = `${ns.name}-opcrash-replica`;
    const log = join(dir, "frozen.log");
    const n = 40;
    type Write = { at: number; what: string };
    const isLease = (what: string) => what.includes("/apis/coordination.k8s.io/");
    const writes: Record<"a" | "b", Write[]> = { a: [], b: [] };
    const proxies: Partial<Record<"a" | "b", FaultProxy>> = {};
    const replicas: Partial<Record<"a" | "b", { pid: number; log: string; from: number }>> = {};
    const holder = async () => (await coordination.readNamespacedLease({ name: lease, namespace: ns.name }).catch(() => undefined))?.spec;
    process.kill(operator().pid, "SIGTERM");
    await eventually("the harness operator to stop", 30_000, async () => (isAlive(operator().pid) ? undefined : true));
    try {
      // The replicas authenticate with a token, which the proxies pass on (a client certificate would end at the proxy).
      await core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: sa } } });
      await rbac.createClusterRoleBinding({
        body: { metadata: { name: binding }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" }, subjects: [{ kind: "ServiceAccount", name: sa, namespace: ns.name }] },
      });
      const token = (await core.createNamespacedServiceAccountToken({ name: sa, namespace: ns.name, body: { spec: { expirationSeconds: 3600 } } })).status?.token;
      assert.ok(token);
      for (const name of ["a", "b"] as const) {
        const proxy = (proxies[name] = await startFaultProxy(info));
        proxy.setRule(({ method, path }) => (method !== "GET" && void writes[name].push({ at: Date.now(), what: `${method} ${path}` }), "pass"));
        const cluster = { ...kc.getCurrentCluster()!, server: `https://${proxy.host}:${proxy.port}` };
        const config = new KubeConfig();
        config.loadFromOptions({ clusters: [cluster], users: [{ name: sa, token }], contexts: [{ name: sa, cluster: cluster.name, user: sa }], currentContext: sa });
        writeFileSync(join(dir, `kubeconfig-${name}`), config.exportConfig());
      }
      const start = async (name: "a" | "b") => {
        const args = [join(repoRoot, "operator", "src", "main.ts"), `--config=${join(paths.clusterDir, "operator-config.yaml")}`, "--leader-elect", `--leader-election-namespace=${ns.name}`, `--leader-election-id=${lease}`, `--health-addr=127.0.0.1:${await freePort()}`, `--metrics-addr=127.0.0.1:${await freePort()}`];
        const logName = `operator-frozen-${name}`;
        const from = existsSync(join(paths.logs, `${logName}.log`)) ? statSync(join(paths.logs, `${logName}.log`)).size : 0;
        const started = startDetached(logName, process.execPath, args, { clusterId: info.id, logDir: paths.logs, env: { KUBECONFIG: join(dir, `kubeconfig-${name}`), POD_NAME: `replica-${name}` } });
        replicas[name] = { pid: started.pid, log: started.log, from };
      };
      const logOf = (name: "a" | "b") => readFileSync(replicas[name]!.log).subarray(replicas[name]!.from).toString("utf8");

      await start("a");
      const first = await eventually("replica a leads", 30_000, async () => ((await holder())?.holderIdentity?.startsWith("replica-a-") ? await holder() : undefined));
      await start("b");
      await eventually("replica b stands by", 30_000, async () => (/leader election|operator starting/.test(logOf("b")) && proxies.b!.counts.requests > 0 ? true : undefined));
      await k.create("Job", "frozen", { poolInfo: { poolId: "p" }, onAllTasksComplete: "TerminateJob" });
      await k.createMany("Task", names("f", n).map((name) => ({ name, labels: { job: "frozen" }, spec: { jobName: "frozen", commandLine: shellTask(log, "sleep 1") } })));
      await eventually("some tasks ended under replica a", 60_000, async () => (runs(log).filter((r) => r.end).length >= 8 ? true : undefined));

      process.kill(replicas.a!.pid, "SIGSTOP");
      const stoppedAt = Date.now();
      let contAt = 0;
      try {
        await eventually("replica b takes the lease", 30_000, async () => ((await holder())?.holderIdentity?.startsWith("replica-b-") ? true : undefined));
        console.log(`# frozen leader: replica b took the lease ${Date.now() - stoppedAt} ms after replica a was stopped`);
        // Twice the lease: the tasks go on under b, and a's watches fill with events it will wake up to.
        await sleep(Math.max(0, stoppedAt + 20_000 - Date.now()));
      } finally {
        process.kill(replicas.a!.pid, "SIGCONT");
        contAt = Date.now();
      }
      await eventually("the woken replica a steps down and exits", 30_000, async () => (isAlive(replicas.a!.pid) ? undefined : true));
      const exitMs = Date.now() - contAt;

      const tasks = await eventually(`${n} tasks of frozen completed`, 150_000, async () => {
        const all = await tasksOf("frozen");
        return all.filter((t) => t.status?.state === "Completed").length === n ? all : undefined;
      }, async () => JSON.stringify((await k.job("frozen")).status?.taskCounts));
      for (const t of tasks) assert.equal(t.status?.executionInfo?.result, "Success", t.metadata.name);
      assertExact(log, tasks);
      assert.equal(runs(log).length, n, "each task started once");

      const ofA = writes.a.filter((w) => !isLease(w.what));
      const ofB = writes.b.filter((w) => !isLease(w.what));
      const takeover = writes.b.find((w) => isLease(w.what))?.at;
      assert.ok(takeover !== undefined, "replica b wrote the lease");
      assert.deepEqual(writes.a.filter((w) => w.at >= contAt).map((w) => w.what), [], "replica a sent no write after it woke, not even to the lease");
      assert.ok(ofB.length > 0 && ofB[0]!.at >= takeover, "replica b wrote only after it took the lease");
      assert.ok(Math.max(...ofA.map((w) => w.at)) < takeover, "every write of replica a came before replica b led: no overlap");
      const last = await holder();
      assert.match(last?.holderIdentity ?? "", /^replica-b-/);
      assert.equal((last?.leaseTransitions ?? 0) - (first.leaseTransitions ?? 0), 1, "one transition");
      const woke = logOf("a");
      assert.match(woke, /the lease is held by replica-b-[^;]*; stepping down/);
      const fenced = woke.split("\n").filter((l) => /not sent: this replica does not hold the leader lease/.test(l)).length;
      console.log(`# frozen leader: SIGSTOP for ${contAt - stoppedAt} ms; woken, it exited in ${exitMs} ms; writes: a ${ofA.length} (none after waking, ${fenced} log lines of refused calls), b ${ofB.length} after taking over; lease transitions ${first.leaseTransitions ?? 0} → ${last?.leaseTransitions}`);
    } finally {
      for (const r of Object.values(replicas)) {
        if (!isAlive(r.pid)) continue;
        process.kill(r.pid, "SIGCONT");
        process.kill(r.pid, "SIGKILL");
      }
      for (const p of Object.values(proxies)) await p.close();
      await rbac.deleteClusterRoleBinding({ name: binding }).catch(() => undefined);
      await deployLocal({ paths, log: () => {} });
    }
  });
});
