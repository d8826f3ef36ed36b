// The operator SIGKILLed at injected points (kube/failpoint.ts) — right after an assignment
// write, between the two writes of a requeue (status written, label not yet removed), in the
// middle of blocked-task explanations — then started again, unarmed, as a new process would
// be after a crash: nothing is lost and nothing runs twice. The ground truth is outside the
// cluster: every task logs its starts and ends to a host folder (support/run-log.ts), and each
// case compares that log with the API's final state (starts = 1 + requeueCount). Leaders that
// lose their lease are in lease-loss.test.ts.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { KubeConfig } from "@kubernetes/client-node";
import { nodeLabel } from "../../api/labels.ts";
import type { TaskStatus } from "../../api/task.ts";
import { failpointsVar } from "../../kube/failpoint.ts";
import { deployLocal, type LocalOperator } from "../../local-cluster/deploy-local.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { isAlive } from "../../local-cluster/processes.ts";
import { clusterPaths } from "../../local-cluster/state.ts";
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
});
