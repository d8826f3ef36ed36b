// Job semantics against the real local control plane, process node and operator: what a
// task's end means for its dependents and its job (exit conditions), and the job operations
// (disable with disableTasks, terminate, maxWallClockTime, the job manager task).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { eventually } from "../../local-cluster/probe.ts";
import { kubeConfig, noCluster } from "./support/cluster.ts";
import { Kubatch } from "./support/kubatch.ts";
import { testNamespace } from "./support/namespace.ts";
import { hostFolder, mountHostFolder } from "./support/host-folder.ts";

describe("job semantics", { skip: noCluster }, () => {
  let kc: KubeConfig;
  let ns: { name: string; remove: () => Promise<void> };
  let k: Kubatch;
  let dir: string;

  before(async () => {
    kc = kubeConfig();
    ns = await testNamespace(kc, "jobs");
    k = new Kubatch(kc, ns.name);
    dir = hostFolder("kubatch-jobs-");
    await k.warmPool("p", 3, { taskSlotsPerNode: 4, ...mountHostFolder(dir) });
  });
  after(async () => {
    await ns.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const taskIn = async (name: string, what: string, ok: (t: Awaited<ReturnType<Kubatch["task"]>>) => boolean, ms = 60_000) =>
    eventually(`task ${name} ${what}`, ms, async () => {
      const t = await k.task(name);
      return ok(t) ? t : undefined;
    }, async () => JSON.stringify((await k.task(name)).status));
  const jobIn = async (name: string, what: string, ok: (j: Awaited<ReturnType<Kubatch["job"]>>) => boolean, ms = 60_000) =>
    eventually(`job ${name} ${what}`, ms, async () => {
      const j = await k.job(name);
      return ok(j) ? j : undefined;
    }, async () => JSON.stringify((await k.job(name)).status));
  const running = (name: string) => taskIn(name, "running", (t) => t.status?.state === "Running");
  const completed = (name: string, ms?: number) => taskIn(name, "completed", (t) => t.status?.state === "Completed", ms);
  const schedulable = (t: Awaited<ReturnType<Kubatch["task"]>>) => t.status?.conditions?.find((c) => c.type === "Schedulable");

  test("dependencyAction decides whether dependents run; cycles, missing tasks and jobs without usesTaskDependencies are reported", { timeout: 180_000 }, async () => {
    await k.create("Job", "deps", { poolInfo: { poolId: "p" }, usesTaskDependencies: true });
    await k.create("Job", "nodeps", { poolInfo: { poolId: "p" } });
    const satisfyOn3 = { exitCodes: [{ code: 3, exitOptions: { dependencyAction: "Satisfy" } }] };
    const blockOn0 = { exitCodes: [{ code: 0, exitOptions: { dependencyAction: "Block" } }] };
    const tasks: Record<string, { job?: string; spec: object }> = {
      "fail-block": { spec: { commandLine: "/bin/sh -c 'exit 3'" } },
      "after-block": { spec: { commandLine: "/bin/true", dependsOn: { taskIds: ["fail-block"] } } },
      "fail-satisfy": { spec: { commandLine: "/bin/sh -c 'exit 3'", exitConditions: satisfyOn3 } },
      "after-satisfy": { spec: { commandLine: "/bin/true", dependsOn: { taskIds: ["fail-satisfy"] } } },
      "ok-block": { spec: { commandLine: "/bin/true", exitConditions: blockOn0 } },
      "after-ok-block": { spec: { commandLine: "/bin/true", dependsOn: { taskIds: ["ok-block"] } } },
      "cycle-x": { spec: { commandLine: "/bin/true", dependsOn: { taskIds: ["cycle-y"] } } },
      "cycle-y": { spec: { commandLine: "/bin/true", dependsOn: { taskIds: ["cycle-x"] } } },
      missing: { spec: { commandLine: "/bin/true", dependsOn: { taskIds: ["nope"] } } },
      "nodeps-a": { job: "nodeps", spec: { commandLine: "/bin/true" } },
      "nodeps-b": { job: "nodeps", spec: { commandLine: "/bin/true", dependsOn: { taskIds: ["nodeps-a"] } } },
    };
    const want: Record<string, { result?: "Success" | "Failure"; reason?: string; says?: RegExp }> = {
      "fail-block": { result: "Failure" },
      "after-block": { reason: "DependencyFailed", says: /dependency fail-block did not succeed/ },
      "fail-satisfy": { result: "Failure" },
      "after-satisfy": { result: "Success" },
      "ok-block": { result: "Success" },
      "after-ok-block": { reason: "DependencyFailed", says: /ok-block/ },
      "cycle-x": { reason: "DependencyCycle", says: /cycle-x, cycle-y/ },
      "cycle-y": { reason: "DependencyCycle", says: /cycle-x, cycle-y/ },
      missing: { reason: "DependencyMissing", says: /do not exist in job deps: nope/ },
      "nodeps-a": { result: "Success" },
      "nodeps-b": { reason: "DependenciesNotEnabled", says: /usesTaskDependencies/ },
    };
    await Promise.all(Object.entries(tasks).map(([name, t]) => k.create("Task", name, { jobName: t.job ?? "deps", id: name, ...t.spec })));
    await Promise.all(
      Object.entries(want).map(async ([name, w]) => {
        if (w.result) {
          const t = await completed(name);
          assert.equal(t.status?.executionInfo?.result, w.result, name);
          return;
        }
        const t = await taskIn(name, `to say ${w.reason}`, (x) => schedulable(x)?.reason === w.reason);
        assert.equal(t.status?.state ?? "Active", "Active", `${name} stays Active`);
        assert.equal(t.metadata.labels?.["kubatch.dev/node"], undefined, `${name} is never assigned`);
        assert.equal(schedulable(t)?.status, "False");
        assert.match(schedulable(t)?.message ?? "", w.says!, name);
      }),
    );
  });

  test("a task naming a job that does not exist says so (Schedulable=False JobNotFound, a Warning event) and runs once the job is created; one added to a completed job says it never runs", { timeout: 120_000 }, async () => {
    await k.create("Task", "orphan-1", { jobName: "later", commandLine: "/bin/sh -c 'exit 0'" });
    const told = await taskIn("orphan-1", "told JobNotFound", (t) => schedulable(t)?.reason === "JobNotFound");
    assert.equal(told.status?.state, "Active");
    assert.match(schedulable(told)?.message ?? "", /job later does not exist in namespace \S+ \(spec\.jobName\)/);
    const events = await eventually("a JobNotFound event on orphan-1", 30_000, async () => {
      const list = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: ns.name, fieldSelector: "involvedObject.kind=Task,involvedObject.name=orphan-1" });
      const found = list.items.filter((e) => e.reason === "JobNotFound");
      return found.length > 0 ? found : undefined;
    });
    assert.equal(events[0]!.type, "Warning");
    await k.create("Job", "later", { poolInfo: { poolId: "p" } });
    const done = await completed("orphan-1");
    assert.equal(done.status?.executionInfo?.result, "Success");
    // Azure Batch refuses a task added to a completed job (JobCompleted): here the task says it never runs.
    await k.patchSpec("jobs", "later", { terminate: true });
    await jobIn("later", "Completed", (j) => j.status?.state === "Completed");
    await k.create("Task", "too-late", { jobName: "later", commandLine: "/bin/sh -c 'exit 0'" });
    const late = await taskIn("too-late", "told JobCompleted", (t) => schedulable(t)?.reason === "JobCompleted");
    assert.equal(late.status?.state, "Active");
    assert.match(schedulable(late)?.message ?? "", /job later completed \(UserTerminate\): its tasks that had not started never run/);
  });

  test("each jobAction of a failed task ends the job as Azure Batch documents", { timeout: 180_000 }, async () => {
    const failOn3 = (jobAction: string) => ({ exitCodes: [{ code: 3, exitOptions: { jobAction } }] });
    const cases: Record<string, { onTaskFailure: string; exitConditions?: object; uploadFails?: boolean; state: string; reason?: string; disabled?: boolean; other: "ended" | "requeued" | "running" }> = {
      terminate: { onTaskFailure: "PerformExitOptionsJobAction", exitConditions: failOn3("Terminate"), state: "Completed", reason: "TaskFailed", other: "ended" },
      "default-terminate": { onTaskFailure: "PerformExitOptionsJobAction", state: "Completed", reason: "TaskFailed", other: "ended" },
      disable: { onTaskFailure: "PerformExitOptionsJobAction", exitConditions: failOn3("Disable"), state: "Disabled", disabled: true, other: "requeued" },
      none: { onTaskFailure: "PerformExitOptionsJobAction", exitConditions: failOn3("None"), state: "Active", other: "running" },
      "no-action": { onTaskFailure: "NoAction", exitConditions: failOn3("Terminate"), state: "Active", other: "running" },
      // https://learn.microsoft.com/rest/api/batchservice/task/add#exitconditions, fileUploadError: "If the Task exited
      // with an exit code that was specified via exitCodes or exitCodeRanges, and then encountered a file upload error,
      // then the action specified by the exit code takes precedence."
      "exit-code-first": { onTaskFailure: "PerformExitOptionsJobAction", exitConditions: { ...failOn3("None"), fileUploadError: { jobAction: "Terminate" } }, uploadFails: true, state: "Active", other: "running" },
    };
    // An output file that cannot be uploaded: a symlink out of the task's directory (refused before any request).
    const failingUpload = { outputFiles: [{ filePattern: "x", destination: { container: { containerUrl: "http://127.0.0.1:9/devstoreaccount1/out?sv=2025-01-01&sig=x" } } }] };
    await Promise.all(
      Object.entries(cases).map(async ([job, c]) => {
        await k.create("Job", job, { poolInfo: { poolId: "p" }, onTaskFailure: c.onTaskFailure });
        await k.create("Task", `${job}-long`, { jobName: job, commandLine: "sleep 120" });
        await running(`${job}-long`);
        await k.create("Task", `${job}-fail`, {
          jobName: job,
          commandLine: c.uploadFails ? "/bin/sh -c 'ln -s /etc/passwd x; exit 3'" : "/bin/sh -c 'exit 3'",
          ...(c.exitConditions ? { exitConditions: c.exitConditions } : {}),
          ...(c.uploadFails ? failingUpload : {}),
        });
        const failed = await completed(`${job}-fail`);
        assert.equal(failed.status?.executionInfo?.exitCode, 3, job);
        if (c.uploadFails) assert.equal(failed.status?.executionInfo?.failureInfo?.code, "FileUploadError", job);
        const j = await jobIn(job, `in state ${c.state}`, (x) => x.status?.state === c.state && (c.state !== "Active" || x.status?.taskCounts?.failed === 1));
        assert.equal(j.status?.executionInfo?.terminateReason, c.reason, job);
        assert.equal(j.spec.disabled ?? false, c.disabled ?? false, `${job}: spec.disabled`);
        const other = await k.task(`${job}-long`);
        if (c.other === "ended") {
          assert.equal(other.status?.state, "Completed", job);
          assert.equal(other.status?.executionInfo?.failureInfo?.code, "TaskEnded", job);
        } else if (c.other === "requeued") {
          const t = await taskIn(`${job}-long`, "requeued", (x) => x.status?.state === "Active" && x.metadata.labels?.["kubatch.dev/node"] === undefined);
          assert.equal(t.status?.executionInfo?.requeueCount, 1, job);
        } else assert.equal(other.status?.state, "Running", job);
        await k.patchSpec("jobs", job, { terminate: true });
      }),
    );
  });

  test("disableTasks Requeue, Terminate and Wait act on running tasks as Azure Batch documents; enabling runs requeued tasks again", { timeout: 180_000 }, async () => {
    // Each task sleeps on its first run only, so a requeued task finishes quickly when it runs again.
    const onceThenDone = (name: string, seconds: number) => `/bin/sh -c 'test -f ${dir}/${name}.ran && exit 0; touch ${dir}/${name}.ran; sleep ${seconds}'`;
    const cases: Record<string, { sleep: number; disabling: boolean; task: { state: string; result?: string; code?: string; requeues: number } }> = {
      requeue: { sleep: 120, disabling: false, task: { state: "Active", requeues: 1 } },
      terminate: { sleep: 120, disabling: false, task: { state: "Completed", result: "Failure", code: "TaskEnded", requeues: 0 } },
      wait: { sleep: 6, disabling: true, task: { state: "Completed", result: "Success", requeues: 0 } },
    };
    await Promise.all(
      Object.entries(cases).map(async ([mode, c]) => {
        const job = `disable-${mode}`;
        await k.create("Job", job, { poolInfo: { poolId: "p" } });
        await k.create("Task", `${job}-t`, { jobName: job, commandLine: onceThenDone(job, c.sleep) });
        await running(`${job}-t`);
        await k.patchSpec("jobs", job, { disabled: true, disableTasks: mode[0]!.toUpperCase() + mode.slice(1) });
        if (c.disabling) {
          await jobIn(job, "Disabling while its task runs", (x) => x.status?.state === "Disabling");
          assert.equal((await k.task(`${job}-t`)).status?.state, "Running", "Wait lets the running task go on");
        }
        await jobIn(job, "Disabled", (x) => x.status?.state === "Disabled", 60_000);
        const t = await taskIn(`${job}-t`, `in state ${c.task.state}`, (x) => x.status?.state === c.task.state);
        assert.equal(t.status?.executionInfo?.result, c.task.result, mode);
        assert.equal(t.status?.executionInfo?.failureInfo?.code, c.task.code, mode);
        assert.equal(t.status?.executionInfo?.requeueCount ?? 0, c.task.requeues, mode);
        if (mode === "requeue") {
          await k.patchSpec("jobs", job, { disabled: false });
          const again = await completed(`${job}-t`);
          assert.equal(again.status?.executionInfo?.result, "Success", "the requeued task ran again once enabled");
          await jobIn(job, "Active again", (x) => x.status?.state === "Active");
        }
      }),
    );
  });

  test("terminate, maxWallClockTime and the job manager task end the job and its running tasks with Azure Batch's reasons", { timeout: 180_000 }, async () => {
    const cases: Record<string, { spec: object; terminateLater?: boolean; reason: string; manager?: string }> = {
      "user-terminate": { spec: {}, terminateLater: true, reason: "Cancelled" },
      "wall-clock": { spec: { constraints: { maxWallClockTime: "PT8S" } }, reason: "MaxWallClockTimeExpiry" },
      manager: { spec: { jobManagerTask: { id: "Manager_1", commandLine: "sleep 3", runExclusive: false } }, reason: "JMComplete", manager: "manager-manager-1" },
    };
    await Promise.all(
      Object.entries(cases).map(async ([job, c]) => {
        await k.create("Job", job, { poolInfo: { poolId: "p" }, ...c.spec });
        await k.create("Task", `${job}-long`, { jobName: job, commandLine: "sleep 120" });
        await running(`${job}-long`);
        if (c.terminateLater) await k.patchSpec("jobs", job, { terminate: true, terminateReason: c.reason });
        const j = await jobIn(job, "Completed", (x) => x.status?.state === "Completed", 90_000);
        assert.equal(j.status?.executionInfo?.terminateReason, c.reason, job);
        assert.match(j.status?.conditions?.find((x) => x.type === "Completed")?.message ?? "", new RegExp(c.reason));
        const long = await k.task(`${job}-long`);
        assert.equal(long.status?.state, "Completed", job);
        assert.equal(long.status?.executionInfo?.failureInfo?.code, "TaskEnded", job);
        // `kubectl wait --for=condition=Completed ktask/X` ends on it.
        assert.deepEqual(long.status?.conditions?.map((x) => `${x.type}=${x.status} ${x.reason}`), ["Completed=True TaskEnded"], job);
        if (c.manager) {
          const m = await k.task(c.manager);
          assert.deepEqual(m.status?.conditions?.map((x) => `${x.type}=${x.status} ${x.reason}`), ["Completed=True Succeeded"], "the agent's completion says so too");
        }
        if (c.manager) {
          const m = await k.task(c.manager);
          assert.equal(m.status?.executionInfo?.result, "Success", "the job manager task ran");
          assert.equal(m.spec.id, "Manager_1");
        }
      }),
    );
  });

  // Azure Batch, JobManagerTask.allowLowPriorityNode: "Whether the Job Manager Task may run on a
  // Spot/Low-priority Compute Node" (false: it waits for a dedicated one).
  test("a job manager with allowLowPriorityNode false waits on a low-priority-only pool, saying why, and runs once a dedicated node comes; the job's other tasks run on the low-priority node", { timeout: 240_000 }, async () => {
    await k.create("Pool", "lp", { vmSize: "small", targetDedicatedNodes: 0, targetLowPriorityNodes: 1, taskSlotsPerNode: 2 });
    await k.create("Job", "jmlp", { poolInfo: { poolId: "lp" }, jobManagerTask: { id: "manager", commandLine: "sleep 1", runExclusive: false, allowLowPriorityNode: false, killJobOnCompletion: false } });
    await k.create("Task", "jmlp-plain", { jobName: "jmlp", commandLine: "/bin/true" });
    const plain = await completed("jmlp-plain", 150_000);
    assert.match(plain.status?.nodeInfo?.nodeId ?? "", /^lp-lowpriority-/, "an ordinary task runs on the low-priority node");
    const waiting = await taskIn("jmlp-manager", "waiting for a dedicated node", (t) => schedulable(t)?.reason === "NoDedicatedNode", 60_000);
    assert.equal(waiting.status?.state, "Active");
    assert.match(schedulable(waiting)?.message ?? "", /allowLowPriorityNode is false/);
    await k.patchSpec("pools", "lp", { targetDedicatedNodes: 1 });
    const manager = await completed("jmlp-manager", 150_000);
    assert.match(manager.status?.nodeInfo?.nodeId ?? "", /^lp-dedicated-/, "the job manager ran on the dedicated node");
    assert.equal(manager.status?.executionInfo?.result, "Success");
  });

  // Azure Batch, Job - Delete (learn.microsoft.com/rest/api/batchservice/job/delete): "Deleting a
  // Job also deletes all Tasks that are part of that Job … the Batch service stops any running
  // Tasks"; the Job Release Task runs on the nodes that ran the job's tasks
  // (learn.microsoft.com/azure/batch/batch-job-prep-release: "when you delete a job … the Job
  // Release task runs on each node").
  test("deleting a job stops its running tasks and collection items, runs its release task, and deletes its tasks and collections", { timeout: 180_000 }, async () => {
    const log = join(dir, "deleted-job.log");
    const tick = (id: string) => `/bin/sh -c "while true; do echo tick ${id} >> ${log}; sleep 0.2; done"`;
    await k.create("Job", "del", { poolInfo: { poolId: "p" }, jobReleaseTask: { commandLine: `/bin/sh -c "echo release $AZ_BATCH_NODE_ID >> ${log}"` } });
    // Applied as kubectl would, with no owner: the job adopts them.
    await k.createMany("Task", ["a", "b", "c"].map((id) => ({ name: `del-${id}`, labels: { job: "del" }, spec: { jobName: "del", commandLine: tick(id) } })));
    await k.create("TaskCollection", "del-items", { jobName: "del", source: { range: { start: 0, end: 0 } }, task: { commandLine: tick("item-{index}") } }, { job: "del" });
    const tasks = await Promise.all(["a", "b", "c"].map((id) => running(`del-${id}`)));
    const uid = (await k.job("del")).metadata.uid;
    type Meta = { metadata: { ownerReferences?: { uid: string; controller?: boolean }[]; labels?: Record<string, string> } };
    const meta = async (plural: string, name: string) => ((await k.custom.getNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", namespace: ns.name, plural, name })) as Meta).metadata;
    await eventually("the job owns its tasks and its collection, which carry its label", 30_000, async () => {
      const all = [...(await Promise.all(["a", "b", "c"].map((id) => meta("tasks", `del-${id}`)))), await meta("taskcollections", "del-items")];
      return all.every((m) => m.ownerReferences?.some((r) => r.uid === uid && r.controller) && m.labels?.["kubatch.dev/job"] === "del") ? true : undefined;
    }, async () => JSON.stringify(await meta("tasks", "del-a")));
    const ticking = () => readFileSync(log, "utf8").split("\n").filter((l) => l.startsWith("tick "));
    await eventually("every task and item ticks", 60_000, async () => {
      const ids = new Set(ticking().map((l) => l.split(" ")[1]));
      return ["a", "b", "c", "item-0"].every((id) => ids.has(id)) ? true : undefined;
    }, async () => readFileSync(log, "utf8").slice(-500));
    const nodes = new Set(tasks.map((t) => t.status!.nodeInfo!.nodeId!));

    await k.custom.deleteNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", namespace: ns.name, plural: "jobs", name: "del" });
    const list = async (plural: string) =>
      ((await k.custom.listNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", namespace: ns.name, plural, labelSelector: plural === "collectionchunks" ? undefined : "job=del" })) as { items: { metadata: { name: string } }[] }).items.filter((o) => o.metadata.name.startsWith("del-"));
    await eventually("the job's tasks, collection and chunks are deleted", 60_000, async () => {
      const left = [...(await list("tasks")), ...(await list("taskcollections")), ...(await list("collectionchunks"))];
      return left.length === 0 ? true : undefined;
    }, async () => JSON.stringify([...(await list("tasks")), ...(await list("taskcollections")), ...(await list("collectionchunks"))].map((o) => o.metadata.name)));
    const releases = await eventually(`the release task on ${[...nodes].join(", ")}`, 60_000, async () => {
      const r = readFileSync(log, "utf8").split("\n").filter((l) => l.startsWith("release "));
      return nodes.size > 0 && [...nodes].every((n) => r.includes(`release ${n}`)) ? r : undefined;
    }, async () => readFileSync(log, "utf8").slice(-500));
    assert.equal(releases.length, new Set(releases).size, "one release per node");
    // The processes stopped: no tick after a while.
    await new Promise((r) => setTimeout(r, 1_000));
    const before = ticking().length;
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(ticking().length, before, "the tasks' and items' processes stopped");

    // A job created again under the name starts empty: nothing of the old one is adopted.
    await k.create("Job", "del", { poolInfo: { poolId: "p" } });
    const again = await jobIn("del", "Active with no tasks", (j) => j.status?.state === "Active" && j.status?.taskCounts !== undefined);
    assert.deepEqual({ ...again.status?.taskCounts }, { active: 0, running: 0, completed: 0, succeeded: 0, failed: 0 });
  });
});
