// Tasks on warm nodes, against the real local control plane, process node and operator:
// exactly-once execution under load, retries and limits, node and operator loss.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { nodeLabel } from "../../api/labels.ts";
import type { TaskStatus } from "../../api/task.ts";
import { deployLocal } from "../../local-cluster/deploy-local.ts";
import { isAlive } from "../../local-cluster/processes.ts";
import { clusterPaths, repoRoot } from "../../local-cluster/state.ts";
import { kubeConfig, localCluster, noCluster } from "./support/cluster.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { Kubatch, type Obj } from "./support/kubatch.ts";
import { testNamespace } from "./support/namespace.ts";
import { hostFolder, mountHostFolder } from "./support/host-folder.ts";
import { runs, shellTask, type Run } from "./support/run-log.ts";

/** The most runs overlapping at any moment on one node. */
function maxConcurrent(list: Run[]): number {
  const points = list.flatMap((r) => [[r.start, 1] as const, [r.end ?? Number.MAX_SAFE_INTEGER, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, d] of points) max = Math.max(max, (now += d));
  return max;
}

function overlaps(list: Run[]): string {
  const sorted = [...list].sort((a, b) => a.start - b.start);
  const out: string[] = [];
  for (let i = 2; i < sorted.length; i++) {
    const [a, b, c] = [sorted[i - 2]!, sorted[i - 1]!, sorted[i]!];
    if ((a.end ?? Infinity) > c.start && (b.end ?? Infinity) > c.start) out.push(`${a.task}[${a.start}-${a.end}] ${b.task}[${b.start}-${b.end}] ${c.task}[${c.start}-${c.end}]`);
  }
  return out.slice(0, 3).join("; ");
}

describe("tasks", { skip: noCluster }, () => {
  let kc: KubeConfig;
  let ns: { name: string; remove: () => Promise<void> };
  let k: Kubatch;
  let dir: string;

  before(async () => {
    kc = kubeConfig();
    ns = await testNamespace(kc, "tasks");
    k = new Kubatch(kc, ns.name);
    dir = hostFolder("kubatch-tasks-");
    await k.warmPool("p", 4, { taskSlotsPerNode: 2, ...mountHostFolder(dir) });
  });
  after(async () => {
    await ns.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const completed = async (job: string, n: number, ms: number) =>
    eventually(`${n} tasks of ${job} completed`, ms, async () => {
      const tasks = (await k.tasks(`job=${job}`)).filter((t) => t.status?.state === "Completed");
      return tasks.length === n ? tasks : undefined;
    }, async () => JSON.stringify((await k.job(job)).status?.taskCounts));

  test("1,000 tasks on 4 nodes with 2 slots each run exactly once, within the slots, with exact counts", { timeout: 600_000 }, async () => {
    const n = 1000;
    const log = join(dir, "load.log");
    await k.create("Job", "load", { poolInfo: { poolId: "p" } });
    await k.createMany("Task", Array.from({ length: n }, (_, i) => ({ name: `load-${i}`, labels: { job: "load" }, spec: { jobName: "load", commandLine: shellTask(log, `exit ${i % 4}`) } })));
    const tasks = await completed("load", n, 300_000);
    for (const t of tasks) {
      const i = Number(t.metadata.name.split("-")[1]);
      assert.equal(t.status?.executionInfo?.exitCode, i % 4, t.metadata.name);
      assert.equal(t.status?.executionInfo?.result, i % 4 === 0 ? "Success" : "Failure");
    }
    const all = runs(log);
    assert.equal(all.length, n, "one run per task");
    assert.equal(new Set(all.map((r) => r.task)).size, n);
    const byNode = Map.groupBy(all, (r) => r.node);
    assert.equal(byNode.size, 4, "every node took tasks");
    for (const [node, list] of byNode) assert.ok(maxConcurrent(list) <= 2, `${node} ran more than 2 tasks at once: ${overlaps(list)}`);
    const counts = await eventually("exact job counts", 30_000, async () => {
      const c = (await k.job("load")).status?.taskCounts;
      return c?.completed === n ? c : undefined;
    });
    assert.deepEqual(counts, { active: 0, running: 0, completed: n, succeeded: n / 4, failed: (3 * n) / 4 });
  });

  test("exit codes, retries, wall clock and environment end as Azure Batch says", { timeout: 180_000 }, async () => {
    await k.create("Job", "cases", {
      poolInfo: { poolId: "p" },
      constraints: { maxTaskRetryCount: 1 },
      commonEnvironmentSettings: [{ name: "FROM_JOB", value: "job" }, { name: "BOTH", value: "job" }],
    });
    const cases: Record<string, { spec: object; exitCode: number; result: string; retries: number; code?: string; stdout?: RegExp }> = {
      success: { spec: { commandLine: "/bin/true" }, exitCode: 0, result: "Success", retries: 0 },
      "failure retried by the job's limit": { spec: { commandLine: "/bin/sh -c 'exit 5'" }, exitCode: 5, result: "Failure", retries: 1, code: "FailureExitCode" },
      "failure retried by the task's own limit": { spec: { commandLine: "/bin/sh -c 'exit 6'", constraints: { maxTaskRetryCount: 3 } }, exitCode: 6, result: "Failure", retries: 3, code: "FailureExitCode" },
      "no retries when the task says 0": { spec: { commandLine: "/bin/sh -c 'exit 7'", constraints: { maxTaskRetryCount: 0 } }, exitCode: 7, result: "Failure", retries: 0, code: "FailureExitCode" },
      "flaky task succeeds on retry": { spec: { commandLine: "/bin/sh -c 'test -f flag || { touch flag; exit 1; }'" }, exitCode: 0, result: "Success", retries: 1 },
      "wall clock limit": { spec: { commandLine: "sleep 30", constraints: { maxWallClockTime: "1s" } }, exitCode: 143, result: "Failure", retries: 0, code: "MaxWallClockTimeExpiry" },
      "missing program": { spec: { commandLine: "no-such-program-kubatch", constraints: { maxTaskRetryCount: 0 } }, exitCode: 127, result: "Failure", retries: 0, code: "CommandNotFound" },
      "job and task environment, task wins": {
        spec: { commandLine: `/bin/sh -c 'echo $FROM_JOB $BOTH $AZ_BATCH_JOB_ID $AZ_BATCH_TASK_ID'`, environmentSettings: [{ name: "BOTH", value: "task" }] },
        exitCode: 0,
        result: "Success",
        retries: 0,
        stdout: /^job task cases env-case\n$/,
      },
    };
    const names = Object.keys(cases).map((c, i) => (c.startsWith("job and task") ? "env-case" : `case-${i}`));
    await Promise.all(Object.values(cases).map((tc, i) => k.create("Task", names[i]!, { jobName: "cases", ...tc.spec }, { job: "cases" })));
    const done = await completed("cases", names.length, 120_000);
    const byName = new Map(done.map((t) => [t.metadata.name, t]));
    for (const [i, [name, tc]] of Object.entries(cases).entries()) {
      const s = byName.get(names[i]!)!.status!;
      const info = s.executionInfo!;
      assert.equal(info.exitCode, tc.exitCode, name);
      assert.equal(info.result, tc.result, name);
      assert.equal(info.retryCount, tc.retries, name);
      assert.equal(info.failureInfo?.code, tc.code, name);
      if (tc.stdout) assert.match(s.stdoutTail ?? "", tc.stdout, name);
    }
  });

  test("dependencies: a diamond and a 1..100 fan-in run in a valid order; a failed dependency blocks", { timeout: 180_000 }, async () => {
    const log = join(dir, "deps.log");
    await k.create("Job", "deps", { poolInfo: { poolId: "p" }, usesTaskDependencies: true });
    const task = (id: string, extra: object = {}, body = "sleep 0.2") => ({ name: `deps-${id.toLowerCase()}`, labels: { job: "deps" }, spec: { jobName: "deps", id, commandLine: shellTask(log, body), ...extra } });
    // Created in reverse, so creation order alone would run the dependents first.
    await k.createMany("Task", [
      task("sum", { dependsOn: { taskIdRanges: [{ start: 1, end: 100 }] } }),
      task("D", { dependsOn: { taskIds: ["B", "C"] } }),
      task("C", { dependsOn: { taskIds: ["A"] } }),
      task("B", { dependsOn: { taskIds: ["A"] } }),
      task("A"),
      ...Array.from({ length: 100 }, (_, i) => task(String(i + 1))),
      task("bad", { constraints: { maxTaskRetryCount: 0 } }, "exit 1"),
      task("blocked", { dependsOn: { taskIds: ["bad"] } }),
    ], 8);
    await eventually("all but the blocked task completed", 120_000, async () => {
      const done = (await k.tasks("job=deps")).filter((t) => t.status?.state === "Completed");
      return done.length === 106 ? true : undefined;
    });
    const runs = new Map(readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => l.split(" ")).map(([id, , what, ns]) => [`${id}:${what}`, Number(BigInt(ns!) / 1000n)]));
    const after = (later: string, ...earlier: string[]) => {
      for (const e of earlier) assert.ok(runs.get(`${later}:start`)! >= runs.get(`${e}:end`)!, `${later} started before ${e} ended`);
    };
    after("B", "A");
    after("C", "A");
    after("D", "B", "C");
    after("sum", ...Array.from({ length: 100 }, (_, i) => String(i + 1)));
    const blocked = await eventually("the blocked task to say why", 30_000, async () => {
      const t = await k.task("deps-blocked");
      return t.status?.conditions?.some((c) => c.reason === "DependencyFailed") ? t : undefined;
    });
    assert.equal(blocked.status?.state ?? "Active", "Active", "a task whose dependency failed stays Active");
    assert.equal(blocked.metadata.labels?.["kubatch.dev/node"], undefined, "and is never assigned");
    const reason = blocked.status!.conditions!.find((c) => c.type === "Schedulable")!;
    assert.equal(reason.status, "False");
    assert.match(reason.message, /dependency bad did not succeed/);
    const d = await k.task("deps-d");
    assert.equal(d.status?.executionInfo?.result, "Success");
    assert.deepEqual(d.status?.conditions?.map((c) => `${c.type}=${c.status} ${c.reason}`), ["Completed=True Succeeded"], "a task that waited and then ran no longer says it waits");
  });

  test("a failed task can be reactivated and runs again; other tasks are refused", { timeout: 120_000 }, async () => {
    const flag = join(dir, "reactivate.flag");
    await k.create("Job", "again", { poolInfo: { poolId: "p" } });
    await k.create("Task", "again-1", { jobName: "again", commandLine: `/bin/sh -c 'test -f ${flag} || { touch ${flag}; echo first run fails >&2; exit 9; }'`, constraints: { maxTaskRetryCount: 0 } });
    const failed = await eventually("the first run to fail", 60_000, async () => {
      const t = await k.task("again-1");
      return t.status?.state === "Completed" ? t : undefined;
    });
    assert.equal(failed.status?.executionInfo?.exitCode, 9);
    const cli = (...args: string[]) => promisify(execFile)(join(repoRoot, "bin", "kubatch"), ["task", "reactivate", ...args, "-n", ns.name], { env: process.env });
    await cli("again-1");
    const second = await eventually("the second run to succeed", 60_000, async () => {
      const t = await k.task("again-1");
      return t.status?.state === "Completed" && t.status.executionInfo?.result === "Success" ? t : undefined;
    }, async () => JSON.stringify(await k.task("again-1")));
    assert.equal(second.status?.executionInfo?.exitCode, 0);
    assert.equal(second.status?.executionInfo?.retryCount, 0);
    await assert.rejects(cli("again-1"), /only a task that completed with a failure can be reactivated/);
  });

  // Azure Batch: TaskConstraints.retentionTime is how long a completed task's directory is kept
  // on the node, and "when a Task is deleted, all of the files in its directory on the Compute
  // Node are also deleted" (REST reference, Task - Delete). kubatch deletes the Task object too,
  // so etcd does not grow with completed tasks; the job's counts keep them (docs/architecture.md).
  test("retentionTime: completed tasks are deleted after it with their directories; the job's counts stay exact", { timeout: 180_000 }, async () => {
    await k.create("Job", "ret", { poolInfo: { poolId: "p" }, onAllTasksComplete: "TerminateJob" });
    const where = (name: string) => join(dir, `${name}.where`);
    const task = (name: string, exit: number, retentionTime?: string) => ({
      name,
      labels: { job: "ret" },
      spec: {
        jobName: "ret",
        commandLine: `/bin/sh -c 'echo marker > $AZ_BATCH_TASK_DIR/marker; echo $AZ_BATCH_NODE_ID $AZ_BATCH_TASK_DIR > ${where(name)}; exit ${exit}'`,
        constraints: { maxTaskRetryCount: 0, ...(retentionTime ? { retentionTime } : {}) },
      },
    });
    const short = Array.from({ length: 6 }, (_, i) => task(`ret-${i}`, i % 3 === 2 ? 1 : 0, "PT3S"));
    await k.createMany("Task", [...short, task("ret-keep", 0)]);
    const gone = async (name: string) => k.task(name).then(() => false, (err: { code?: number }) => err.code === 404 || Promise.reject(err));
    await eventually("the 6 tasks with retentionTime PT3S deleted", 90_000, async () => ((await Promise.all(short.map((t) => gone(t.name)))).every(Boolean) ? true : undefined), async () =>
      JSON.stringify((await k.tasks("job=ret")).map((t) => [t.metadata.name, t.status?.state])),
    );
    const keep = await k.task("ret-keep");
    assert.equal(keep.status?.state, "Completed", "the task with the default retentionTime (P7D) stays");
    const job = await eventually("job ret Completed with every count kept", 60_000, async () => {
      const j = await k.job("ret");
      return j.status?.state === "Completed" && j.status.retiringTasks?.length === 0 ? j : undefined;
    }, async () => JSON.stringify((await k.job("ret")).status));
    assert.equal(job.status?.executionInfo?.terminateReason, "AllTasksComplete");
    assert.deepEqual(job.status?.taskCounts, { active: 0, running: 0, completed: 7, succeeded: 5, failed: 2 });
    assert.deepEqual(job.status?.deletedTaskCounts, { succeeded: 4, failed: 2 });

    // A probe on the node that ran the task (affinity to it; the pool is idle) looks for its directory.
    const probe = async (of: string) => {
      const [node, taskDir] = readFileSync(where(of), "utf8").trim().split(" ");
      const name = `probe-${of}`;
      await k.create("Job", name, { poolInfo: { poolId: "p" } });
      await k.create("Task", name, { jobName: name, affinityInfo: { affinityId: node }, commandLine: `/bin/sh -c 'echo $AZ_BATCH_NODE_ID; test -e ${taskDir}/marker && echo present || echo gone'` });
      const done = await eventually(`${name} completed`, 60_000, async () => ((await k.task(name)).status?.state === "Completed" ? k.task(name) : undefined));
      return { node, said: done.status?.stdoutTail };
    };
    const deleted = await probe("ret-0");
    assert.equal(deleted.said, `${deleted.node}\ngone\n`, "a deleted task's directory is removed from its node");
    const kept = await probe("ret-keep");
    assert.equal(kept.said, `${kept.node}\npresent\n`, "a kept task's directory stays (and the probe can see it)");
  });

  test("losing the operator twice and a node once loses no task; the node's tasks are requeued once", { timeout: 300_000, skip: localCluster() ? undefined : "needs the embedded cluster's operator" }, async () => {
    const n = 120;
    const log = join(dir, "chaos.log");
    await k.create("Job", "chaos", { poolInfo: { poolId: "p" }, onAllTasksComplete: "TerminateJob" });
    await k.createMany("Task", Array.from({ length: n }, (_, i) => ({ name: `chaos-${i}`, labels: { job: "chaos" }, spec: { jobName: "chaos", commandLine: shellTask(log, "sleep 1") } })));
    const paths = clusterPaths();
    const killOperator = async () => {
      const { pid } = JSON.parse(readFileSync(join(paths.clusterDir, "operator.json"), "utf8")) as { pid: number };
      process.kill(pid, "SIGKILL");
      await eventually("the operator to die", 10_000, async () => (isAlive(pid) ? undefined : true));
      await deployLocal({ paths, log: () => {} });
    };
    const running = async () => (await k.tasks("job=chaos")).filter((t) => t.status?.state === "Running");
    await eventually("tasks running", 60_000, async () => ((await running()).length >= 4 ? true : undefined));
    await killOperator();
    // A node with tasks running on it goes away.
    const now = await eventually("tasks running after the restart", 60_000, async () => {
      const r = await running();
      return r.length > 0 ? r : undefined;
    });
    const victim = now[0]!.status!.nodeInfo!.nodeId!;
    // Every task assigned to it, not only those it reported Running: a task that started less
    // than 100 ms ago has not said so yet, and it is requeued with the node all the same.
    const assigned = (await k.tasks("job=chaos")).filter((t) => t.metadata.labels?.[nodeLabel] === victim && t.status?.state !== "Completed");
    const onVictim = new Set(assigned.map((t) => t.metadata.name));
    await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: victim, namespace: ns.name });
    await killOperator();
    const tasks: Obj<TaskStatus>[] = await completed("chaos", n, 240_000);
    const requeued = tasks.filter((t) => (t.status?.executionInfo?.requeueCount ?? 0) > 0);
    assert.ok(onVictim.size > 0);
    for (const name of onVictim) {
      const t = tasks.find((x) => x.metadata.name === name)!;
      assert.equal(t.status?.executionInfo?.requeueCount, 1, `${name} requeued once`);
      assert.notEqual(t.status?.nodeInfo?.nodeId, victim, `${name} finished elsewhere`);
    }
    assert.deepEqual(new Set(requeued.map((t) => t.metadata.name)), onVictim, "only the lost node's tasks were requeued");
    for (const t of tasks) assert.equal(t.status?.executionInfo?.result, "Success", t.metadata.name);
    // Exactly once, except the runs the lost node never finished.
    const finished = runs(log).filter((r) => r.end !== undefined);
    assert.equal(finished.length, n);
    assert.equal(new Set(finished.map((r) => r.task)).size, n);
    const job = await eventually("job Completed", 30_000, async () => {
      const j = await k.job("chaos");
      return j.status?.state === "Completed" ? j : undefined;
    });
    assert.equal(job.status?.taskCounts?.succeeded, n);
  });
});
