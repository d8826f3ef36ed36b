// The kubatch CLI against the real local cluster and operator (make test deploys both):
// bulk task creation from a range and from 500 blobs in Azurite, job wait's exit codes and
// failed-task table, task list and task output (also of a task collection's failed items), usage
// errors, and the kubectl plugin link.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { BlobServiceClient } from "@azure/storage-blob";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { kubeConfig, kubectlPath, noCluster } from "./support/cluster.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { testNamespace } from "./support/namespace.ts";
import { forEachBounded } from "../../kube/bounded.ts";
import { run, show } from "./support/run.ts";
import { hostFolder, mountHostFolder } from "./support/host-folder.ts";

const azurite = process.env.AZURITE_CONNECTION_STRING;
const skip = noCluster ?? (azurite ? undefined : "AZURITE_CONNECTION_STRING is not set: run through `make test`");
const kubatchBin = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "kubatch");

describe("kubatch CLI", { skip }, () => {
  let ns: { name: string; remove: () => Promise<void> };
  let shared: string;
  let custom: CustomObjectsApi;
  const kubatch = (args: string[], ms = 60_000, env: NodeJS.ProcessEnv = process.env) => run(kubatchBin, [...args, "-n", ns.name], ms, env);
  const createJob = (name: string) =>
    custom.createNamespacedCustomObject({
      group: "kubatch.dev",
      version: "v1alpha1",
      plural: "jobs",
      namespace: ns.name,
      body: { apiVersion: "kubatch.dev/v1alpha1", kind: "Job", metadata: { name }, spec: { poolInfo: { poolId: "cli" } } },
    });

  before(async () => {
    const kc = kubeConfig();
    custom = kc.makeApiClient(CustomObjectsApi);
    ns = await testNamespace(kc, "cli");
    shared = hostFolder("kubatch-cli-");
    await custom.createNamespacedCustomObject({
      group: "kubatch.dev",
      version: "v1alpha1",
      plural: "pools",
      namespace: ns.name,
      body: { apiVersion: "kubatch.dev/v1alpha1", kind: "Pool", metadata: { name: "cli" }, spec: { vmSize: "small", targetDedicatedNodes: 2, taskSlotsPerNode: 4, ...mountHostFolder(shared) } },
    });
    // The tests' deadlines are for the CLI and the tasks, not for starting the nodes.
    await eventually("pool cli Ready", 120_000, async () => {
      const pool = (await custom.getNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", plural: "pools", namespace: ns.name, name: "cli" })) as {
        status?: { conditions?: { type: string; status: string }[] };
      };
      return pool.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ? true : undefined;
    });
  });
  after(() => ns.remove());

  test("--version, a help that names every command; job list, pool list and node list show the namespace's jobs, pools and nodes", { timeout: 60_000 }, async () => {
    const version = await run(kubatchBin, ["--version"], 30_000);
    assert.equal(version.code, 0, show(version));
    assert.match(version.stdout, /^kubatch \d+\.\d+\.\d+\n$/);
    const help = await run(kubatchBin, ["--help"], 30_000);
    assert.equal(help.code, 0, show(help));
    for (const line of [/task\s+add, list, reactivate, terminate, output, file:/, /job\s+list, wait, status, stats, disable, enable, terminate:/, /pool\s+list, autoscale:/, /node\s+list, disable-scheduling, enable-scheduling, reimage, remove:/, /workitem\s+list, disable, enable, terminate:/]) assert.match(help.stdout, line);

    await createJob("listed");
    const jobs = await kubatch(["job", "list"]);
    assert.equal(jobs.code, 0, show(jobs));
    assert.match(jobs.stdout, /^NAME\s+STATE\s+POOL\s+PRIORITY\s+ACTIVE\s+RUNNING\s+SUCCEEDED\s+FAILED\s+AGE\n/);
    assert.match(jobs.stdout, /\nlisted\s+Active\s+cli\s+0\s+0\s+0\s+0\s+0\s+\S+/);
    const pools = JSON.parse((await kubatch(["pool", "list", "-o", "json"])).stdout) as { name: string; dedicated: string; slotsPerNode: number }[];
    assert.deepEqual(pools.map((p) => [p.name, p.dedicated, p.slotsPerNode]), [["cli", "2/2", 4]]);
    const nodes = await kubatch(["node", "list", "cli"]);
    assert.equal(nodes.code, 0, show(nodes));
    const rows = nodes.stdout.trim().split("\n");
    assert.match(rows[0]!, /^NAME\s+STATE\s+SCHEDULING\s+DEDICATED\s+RUNNING TASKS\s+SLOTS IN USE\s+TASKS RUN\s+SUCCEEDED\s+START TASK$/);
    assert.equal(rows.length, 3, nodes.stdout);
    for (const row of rows.slice(1)) assert.match(row, /^cli-dedicated-\S+\s+(Idle|Running)\s+Enabled\s+true\s+\d+/);
    const missing = await kubatch(["node", "list", "nope"]);
    assert.equal(missing.code, 1, show(missing));
    assert.match(missing.stderr, /pool "nope" not found in namespace "cli-/);
  });

  test("task add --range creates tasks idempotently; job wait, task list and task output show them", { timeout: 180_000 }, async () => {
    await createJob("sweep");
    const args = ["task", "add", "sweep", "--range", "1..20", "--command", '/bin/sh -c "echo seed {} index {index}; echo note {} >&2"'];
    const first = await kubatch(args);
    assert.equal(first.code, 0, show(first));
    assert.match(first.stdout, /20 tasks: 20 created, 0 existing, 0 failed/);
    const again = await kubatch(args);
    assert.equal(again.code, 0, show(again));
    assert.match(again.stdout, /20 tasks: 0 created, 20 existing, 0 failed/);
    // The same items with another command are another command's work, not "existing".
    const other = await kubatch(["task", "add", "sweep", "--range", "1..2", "--command", "echo other {}"]);
    assert.equal(other.code, 1, show(other));
    assert.match(other.stdout, /2 tasks: 0 created, 0 existing, 2 failed/);
    assert.match(other.stderr, /sweep-task-1: exists with another spec \(spec\.commandLine differs\): choose other names with --name-template/);
    // Created owned by their job (deleting it deletes them), so the operator needs no write to adopt them.
    const job = (await custom.getNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", plural: "jobs", namespace: ns.name, name: "sweep" })) as { metadata: { uid: string } };
    const owned = (await custom.getNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", plural: "tasks", namespace: ns.name, name: "sweep-task-1" })) as { metadata: { ownerReferences?: object[] } };
    assert.deepEqual(owned.metadata.ownerReferences, [{ apiVersion: "kubatch.dev/v1alpha1", kind: "Job", name: "sweep", uid: job.metadata.uid, controller: true, blockOwnerDeletion: false }]);

    const wait = await kubatch(["job", "wait", "sweep", "--timeout", "150s", "--interval", "1s"], 160_000);
    assert.equal(wait.code, 0, show(wait));
    assert.match(wait.stdout, /job sweep: all 20 tasks completed in .*: 20 succeeded, 0 failed/);
    // The pool's nodes count what they ran (status.nodes[].totalTasksRun; its write is debounced).
    await eventually("node list: TASKS RUN adds up to the 20 tasks", 30_000, async () => {
      const nodes = await kubatch(["node", "list", "cli", "-o", "json"]);
      const rows = JSON.parse(nodes.stdout) as { totalTasksRun: number; totalTasksSucceeded: number }[];
      const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((n, r) => n + f(r), 0);
      return sum((r) => r.totalTasksRun) >= 20 && sum((r) => r.totalTasksSucceeded) >= 20 ? true : undefined;
    });

    const list = await kubatch(["task", "list", "sweep"]);
    assert.equal(list.code, 0, show(list));
    const lines = list.stdout.trim().split("\n");
    assert.match(lines[0]!, /^NAME\s+STATE\s+RESULT\s+NODE\s+EXIT CODE\s+RETRIES\s+REQUEUES\s+DURATION$/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(/\s+/)[0]), Array.from({ length: 20 }, (_, i) => `sweep-task-${i + 1}`), "named by item");
    for (const line of lines.slice(1)) assert.match(line, /^sweep-task-\d+\s+Completed\s+Success\s+cli-dedicated-\S+\s+0\s+0\s+0\s+\S+$/);

    const json = await kubatch(["task", "list", "sweep", "-o", "json"]);
    const rows = JSON.parse(json.stdout) as { name: string; state: string; exitCode: number; item: string; node: string }[];
    assert.equal(rows.length, 20);
    assert.deepEqual({ name: rows[3]!.name, state: rows[3]!.state, exitCode: rows[3]!.exitCode, item: rows[3]!.item }, { name: "sweep-task-4", state: "Completed", exitCode: 0, item: "4" });

    const out = await kubatch(["task", "output", "sweep-task-4"]);
    assert.equal(out.code, 0, show(out));
    assert.equal(out.stdout, "seed 4 index 3\n");
    assert.match(out.stderr, /the last KiB of stdout\.txt; the full file: \$AZ_BATCH_NODE_ROOT_DIR\/workitems\/sweep\/job-1\/sweep-task-4\/stdout\.txt on node cli-dedicated-/);
    const err = await kubatch(["task", "output", "sweep-task-4", "--stderr"]);
    assert.equal(err.stdout, "note 4\n");

    const status = await kubatch(["job", "status", "sweep"]);
    assert.equal(status.code, 0, show(status));
    assert.match(status.stdout, /Tasks:\s+20 total: 0 active, 0 running, 20 completed \(20 succeeded, 0 failed\)/);
    assert.match(status.stdout, /AllTasksComplete\s+True/);

    const stats = await kubatch(["job", "stats", "sweep", "-o", "json"]);
    assert.equal(stats.code, 0, show(stats));
    const st = JSON.parse(stats.stdout) as { tasks: Record<string, number>; wait: { count: number }; run: { count: number; maxSeconds: number }; wallClockSeconds: number };
    assert.deepEqual(st.tasks, { total: 20, active: 0, running: 0, completed: 20, succeeded: 20, failed: 0, retries: 0 });
    assert.equal(st.wait.count, 20);
    assert.equal(st.run.count, 20);
    assert.ok(st.run.maxSeconds <= st.wallClockSeconds, "no task ran longer than its job has existed");
    const statsText = await kubatch(["job", "stats", "sweep"]);
    assert.match(statsText.stdout, /^Tasks:\s+20: 0 active, 0 running, 20 completed \(20 succeeded, 0 failed\); 0 retries$/m);
    assert.match(statsText.stdout, /^\s+wait\s+20\s/m);
  });

  test("node disable-scheduling and enable-scheduling: no task goes to a disabled node; Requeue sends its running task back to the queue; enabled, tasks come again", { timeout: 180_000 }, async () => {
    const nodesNow = async () => JSON.parse((await kubatch(["node", "list", "cli", "-o", "json"])).stdout) as { name: string; scheduling: string }[];
    const [a, b] = (await nodesNow()).map((n) => n.name).sort() as [string, string];
    const disableA = await kubatch(["node", "disable-scheduling", a, "--tasks", "requeue"]);
    assert.equal(disableA.code, 0, show(disableA));
    await eventually(`node ${a} Disabled in node list`, 30_000, async () => ((await nodesNow()).find((n) => n.name === a)?.scheduling === "Disabled" ? true : undefined));

    await createJob("sched");
    await custom.createNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", plural: "tasks", namespace: ns.name, body: { apiVersion: "kubatch.dev/v1alpha1", kind: "Task", metadata: { name: "long" }, spec: { jobName: "sched", commandLine: "sleep 300" } } });
    const taskNow = async () => (await custom.getNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", plural: "tasks", namespace: ns.name, name: "long" })) as { status?: { state?: string; nodeInfo?: { nodeId?: string }; executionInfo?: { requeueCount?: number } } };
    const onB = await eventually("task long running", 60_000, async () => ((await taskNow()).status?.state === "Running" ? taskNow() : undefined));
    assert.equal(onB.status?.nodeInfo?.nodeId, b, "not on the disabled node");

    // Both disabled: the running task goes back and waits; enabling the first node runs it there.
    const disableB = await kubatch(["node", "disable-scheduling", b]);
    assert.equal(disableB.code, 0, show(disableB));
    await eventually("task long requeued", 60_000, async () => {
      const t = await taskNow();
      return t.status?.state === "Active" && t.status.executionInfo?.requeueCount === 1 ? true : undefined;
    });
    const enableA = await kubatch(["node", "enable-scheduling", a]);
    assert.equal(enableA.code, 0, show(enableA));
    const onA = await eventually("task long running again", 60_000, async () => {
      const t = await taskNow();
      return t.status?.state === "Running" ? t : undefined;
    });
    assert.equal(onA.status?.nodeInfo?.nodeId, a);
    assert.equal((await kubatch(["node", "enable-scheduling", b])).code, 0);
    const terminated = await kubatch(["job", "terminate", "sched"]);
    assert.equal(terminated.code, 0, show(terminated));
    const notNode = await kubatch(["node", "disable-scheduling", "no-such-node"]);
    assert.equal(notNode.code, 1, show(notNode));
    assert.match(notNode.stderr, /node "no-such-node" not found/);
    const badOption = await kubatch(["node", "disable-scheduling", a, "--tasks", "drain"]);
    assert.equal(badOption.code, 2, show(badOption));
  });

  test("node remove: the named node leaves (not another), the pool's target comes down, its running task is requeued and runs on another node", { timeout: 240_000 }, async () => {
    const api = { group: "kubatch.dev", version: "v1alpha1", namespace: ns.name };
    await custom.createNamespacedCustomObject({ ...api, plural: "pools", body: { apiVersion: "kubatch.dev/v1alpha1", kind: "Pool", metadata: { name: "rm" }, spec: { vmSize: "small", targetDedicatedNodes: 3 } } });
    type P = { spec: { targetDedicatedNodes?: number }; status?: { nodeCounts?: { idle?: number; total?: number }; nodes?: { name: string; state: string }[] } };
    const pool = async () => (await custom.getNamespacedCustomObject({ ...api, plural: "pools", name: "rm" })) as P;
    await eventually("pool rm: 3 idle nodes", 120_000, async () => ((await pool()).status?.nodeCounts?.idle === 3 ? true : undefined));
    await custom.createNamespacedCustomObject({ ...api, plural: "jobs", body: { apiVersion: "kubatch.dev/v1alpha1", kind: "Job", metadata: { name: "rmjob" }, spec: { poolInfo: { poolId: "rm" } } } });
    await custom.createNamespacedCustomObject({ ...api, plural: "tasks", body: { apiVersion: "kubatch.dev/v1alpha1", kind: "Task", metadata: { name: "stay" }, spec: { jobName: "rmjob", commandLine: "sleep 300" } } });
    type T = { status?: { state?: string; nodeInfo?: { nodeId?: string }; executionInfo?: { requeueCount?: number } } };
    const task = async () => (await custom.getNamespacedCustomObject({ ...api, plural: "tasks", name: "stay" })) as T;
    const first = await eventually("task stay running", 60_000, async () => ((await task()).status?.state === "Running" ? task() : undefined));
    const node = first.status!.nodeInfo!.nodeId!;
    const others = (await pool()).status!.nodes!.map((n) => n.name).filter((n) => n !== node).sort();

    const removed = await kubatch(["node", "remove", node, "--deallocation", "requeue"]);
    assert.equal(removed.code, 0, show(removed));
    assert.match(removed.stdout, new RegExp(`node ${node}: leaving pool rm \\(running tasks: Requeue\\)`));
    assert.match(removed.stdout, /pool rm: target 3\+0 → 2\+0/);
    assert.equal((await pool()).spec.targetDedicatedNodes, 2);
    const again = await eventually("task stay running on another node", 90_000, async () => {
      const t = await task();
      return t.status?.state === "Running" && t.status.nodeInfo?.nodeId !== node ? t : undefined;
    });
    assert.equal(again.status?.executionInfo?.requeueCount, 1);
    const after = await eventually("the named node gone, the others kept", 90_000, async () => {
      const s = (await pool()).status;
      return s?.nodeCounts?.total === 2 && s.nodes?.length === 2 ? s : undefined;
    });
    assert.deepEqual(after.nodes!.map((n) => n.name).sort(), others, "the named node left, not another");

    const twice = await kubatch(["node", "remove", "no-such-node"]);
    assert.equal(twice.code, 1, show(twice));
    const bad = await kubatch(["node", "remove", others[0]!, "--deallocation", "later"]);
    assert.equal(bad.code, 2, show(bad));
    assert.equal((await pool()).spec.targetDedicatedNodes, 2, "a refused call changes nothing");
    await custom.deleteNamespacedCustomObject({ ...api, plural: "pools", name: "rm" });
  });

  test("node reimage: the node's running task is requeued, a fresh node pod replaces it and runs the task; disabled and idle, a node is Offline", { timeout: 240_000 }, async () => {
    const api = { group: "kubatch.dev", version: "v1alpha1", namespace: ns.name };
    await custom.createNamespacedCustomObject({ ...api, plural: "pools", body: { apiVersion: "kubatch.dev/v1alpha1", kind: "Pool", metadata: { name: "ri" }, spec: { vmSize: "small", targetDedicatedNodes: 1 } } });
    type P = { status?: { nodeCounts?: { idle?: number; offline?: number }; nodes?: { name: string; state: string; recentTasks?: { jobId: string; taskId: string; taskState: string }[] }[] } };
    const pool = async () => (await custom.getNamespacedCustomObject({ ...api, plural: "pools", name: "ri" })) as P;
    const ready = await eventually("pool ri: 1 idle node", 120_000, async () => ((await pool()).status?.nodeCounts?.idle === 1 ? pool() : undefined));
    const node = ready.status!.nodes![0]!.name;

    assert.equal((await kubatch(["node", "disable-scheduling", node])).code, 0);
    await eventually("the disabled idle node Offline", 30_000, async () => ((await pool()).status?.nodes?.[0]?.state === "Offline" ? true : undefined));
    assert.equal((await pool()).status?.nodeCounts?.offline, 1);
    assert.equal((await kubatch(["node", "enable-scheduling", node])).code, 0);

    await custom.createNamespacedCustomObject({ ...api, plural: "jobs", body: { apiVersion: "kubatch.dev/v1alpha1", kind: "Job", metadata: { name: "rijob" }, spec: { poolInfo: { poolId: "ri" } } } });
    await custom.createNamespacedCustomObject({ ...api, plural: "tasks", body: { apiVersion: "kubatch.dev/v1alpha1", kind: "Task", metadata: { name: "long-ri" }, spec: { jobName: "rijob", commandLine: "sleep 300" } } });
    type T = { status?: { state?: string; nodeInfo?: { nodeId?: string }; executionInfo?: { requeueCount?: number } } };
    const task = async () => (await custom.getNamespacedCustomObject({ ...api, plural: "tasks", name: "long-ri" })) as T;
    await eventually("task long-ri running", 60_000, async () => ((await task()).status?.state === "Running" ? true : undefined));

    const reimaged = await kubatch(["node", "reimage", node]);
    assert.equal(reimaged.code, 0, show(reimaged));
    assert.match(reimaged.stdout, new RegExp(`node ${node} \\(pool ri\\): reimaging \\(running tasks: Requeue\\)`));
    const again = await eventually("task long-ri running on the fresh node", 120_000, async () => {
      const t = await task();
      return t.status?.state === "Running" && t.status.nodeInfo?.nodeId !== node ? t : undefined;
    });
    assert.equal(again.status?.executionInfo?.requeueCount, 1);
    const fresh = again.status!.nodeInfo!.nodeId!;
    const after = await eventually("the fresh node lists the task among its recent tasks", 30_000, async () => {
      const p = await pool();
      return p.status?.nodes?.[0]?.recentTasks?.[0]?.taskId === "long-ri" ? p : undefined;
    });
    assert.deepEqual(after.status?.nodes?.map((n) => n.name), [fresh], "one node, the fresh one");
    assert.deepEqual(after.status!.nodes![0]!.recentTasks![0], { jobId: "rijob", taskId: "long-ri", taskState: "Running" });
    const bad = await kubatch(["node", "reimage", node, "--tasks", "soon"]);
    assert.equal(bad.code, 2, show(bad));
    await custom.deleteNamespacedCustomObject({ ...api, plural: "pools", name: "ri" });
  });

  test("task terminate: a running task is stopped, a waiting one never runs, both complete as TaskEnded and stay; a completed one is refused; reactivate runs it again", { timeout: 180_000 }, async () => {
    await createJob("stopjob");
    const task = (name: string, spec: object) =>
      custom.createNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", plural: "tasks", namespace: ns.name, body: { apiVersion: "kubatch.dev/v1alpha1", kind: "Task", metadata: { name }, spec: { jobName: "stopjob", ...spec } } });
    type T = { metadata: { annotations?: Record<string, string> }; status?: { state?: string; nodeInfo?: unknown; executionInfo?: { result?: string; startTime?: string; failureInfo?: { code?: string; message?: string } } } };
    const get = async (name: string) => (await custom.getNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", plural: "tasks", namespace: ns.name, name })) as T;
    // It would write late.txt after 6 s: a stopped process never does.
    await task("spin", { commandLine: `/bin/sh -c "sleep 6; echo late > late.txt; sleep 300"` });
    await task("too-big", { commandLine: "true", requiredSlots: 5 }); // more slots than a node has: it waits
    await eventually("task spin running", 60_000, async () => ((await get("spin")).status?.state === "Running" ? true : undefined));

    const stopped = await kubatch(["task", "terminate", "spin", "--reason", "no longer needed"]);
    assert.equal(stopped.code, 0, show(stopped));
    assert.match(stopped.stdout, /task spin: Completed, Failure \(TaskEnded: the task was terminated: no longer needed\)/);
    const waiting = await kubatch(["task", "terminate", "too-big"]);
    assert.equal(waiting.code, 0, show(waiting));
    const never = await get("too-big");
    assert.equal(never.status?.executionInfo?.failureInfo?.code, "TaskEnded");
    assert.equal(never.status?.executionInfo?.startTime, undefined, "it never started");
    await new Promise((r) => setTimeout(r, 8_000));
    const files = await kubatch(["task", "file", "list", "spin"]);
    assert.equal(files.code, 0, show(files));
    assert.doesNotMatch(files.stdout, /late\.txt/, "the process was stopped before it wrote late.txt");
    const counts = (await custom.getNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", plural: "jobs", namespace: ns.name, name: "stopjob" })) as { status?: { taskCounts?: { failed?: number; running?: number } } };
    assert.deepEqual([counts.status?.taskCounts?.failed, counts.status?.taskCounts?.running], [2, 0]);

    const again = await kubatch(["task", "terminate", "spin"]);
    assert.equal(again.code, 1, show(again));
    assert.match(again.stderr, /task "spin" has already completed \(Failure\)/);
    const badReason = await kubatch(["task", "terminate", "spin", "--reason", ""]);
    assert.equal(badReason.code, 2, show(badReason));

    const reactivated = await kubatch(["task", "reactivate", "spin"]);
    assert.equal(reactivated.code, 0, show(reactivated));
    await eventually("task spin running again", 60_000, async () => ((await get("spin")).status?.state === "Running" ? true : undefined));
    assert.equal((await get("spin")).metadata.annotations?.["kubatch.dev/terminate"], undefined, "the request went with the reactivation");
    assert.equal((await kubatch(["job", "terminate", "stopjob"])).code, 0);
  });

  test("task file list and get read a task's folder whole from its node: a 3 MB binary file byte for byte, all of a 600 KB stdout (both far past a pipe's 64 KiB)", { timeout: 120_000 }, async () => {
    await createJob("filejob");
    // Bytes a text round trip would change (every value 0..255), and stdout far past the 1 KiB tail.
    const program = "const fs = require('fs'); fs.mkdirSync('out'); const b = Buffer.alloc(3000000); for (let i = 0; i < b.length; i++) b[i] = (i * 7919) % 256; fs.writeFileSync('out/data.bin', b); for (let i = 0; i < 20000; i++) console.log('line ' + i + ' of the whole stdout')";
    await custom.createNamespacedCustomObject({
      group: "kubatch.dev",
      version: "v1alpha1",
      plural: "tasks",
      namespace: ns.name,
      body: { apiVersion: "kubatch.dev/v1alpha1", kind: "Task", metadata: { name: "writer" }, spec: { jobName: "filejob", commandLine: `node -e "${program}"` } },
    });
    const wait = await kubatch(["job", "wait", "filejob", "--timeout", "90s", "--interval", "1s"], 100_000);
    assert.equal(wait.code, 0, show(wait));

    const list = await kubatch(["task", "file", "list", "writer"]);
    assert.equal(list.code, 0, show(list));
    const wholeStdout = Array.from({ length: 20000 }, (_, i) => `line ${i} of the whole stdout\n`).join("");
    assert.match(list.stdout.split("\n")[0]!, /^NAME\s+SIZE\s+MODIFIED$/);
    const sizes = new Map(list.stdout.trim().split("\n").slice(1).map((l) => [l.split(/\s+/)[0]!, /^\S+\s+(\d+)\s/.exec(l)?.[1] ?? ""]));
    assert.deepEqual(
      ["stderr.txt", "stdout.txt", "wd/", "wd/out/", "wd/out/data.bin"].map((n) => [n, sizes.get(n)]),
      [["stderr.txt", "0"], ["stdout.txt", String(wholeStdout.length)], ["wd/", ""], ["wd/out/", ""], ["wd/out/data.bin", "3000000"]],
    );

    const dir = await mkdtemp(join(tmpdir(), "kubatch-files-"));
    try {
      const dest = join(dir, "data.bin");
      const get = await kubatch(["task", "file", "get", "writer", "wd/out/data.bin", "--destination", dest]);
      assert.equal(get.code, 0, show(get));
      assert.match(get.stderr, /wd\/out\/data\.bin of task writer \(node cli-dedicated-\S+\) written to .* \(3000000 bytes\)/);
      const want = Buffer.alloc(3000000);
      for (let i = 0; i < want.length; i++) want[i] = (i * 7919) % 256;
      assert.ok((await readFile(dest)).equals(want), "the downloaded file equals what the task wrote");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const stdout = await kubatch(["task", "file", "get", "writer", "stdout.txt"]);
    assert.equal(stdout.code, 0, show(stdout));
    assert.equal(stdout.stdout, wholeStdout);

    const cases: { args: string[]; error: RegExp }[] = [
      { args: ["../../etc/passwd"], error: /"\.\.\/\.\.\/etc\/passwd" leaves the task's folder/ },
      { args: ["wd/missing.txt"], error: /no file "wd\/missing\.txt" in the task's folder/ },
      { args: ["wd/out"], error: /"wd\/out" is a directory/ },
    ];
    for (const c of cases) {
      const r = await kubatch(["task", "file", "get", "writer", ...c.args]);
      assert.equal(r.code, 1, show(r));
      assert.match(r.stderr, c.error);
    }
    const unknown = await kubatch(["task", "file", "list", "no-such-task"]);
    assert.equal(unknown.code, 1, show(unknown));
    assert.match(unknown.stderr, /task "no-such-task" not found/);
  });

  /** A new container with `count` blobs scans/page-<i>.txt (i `digits` wide), each holding "text of <name>\n", and one blob outside scans/. */
  const textBlobs = async (name: string, count: number, digits: number) => {
    const container = BlobServiceClient.fromConnectionString(azurite!).getContainerClient(name);
    await container.createIfNotExists();
    const names = Array.from({ length: count }, (_, i) => `scans/page-${String(i).padStart(digits, "0")}.txt`);
    await forEachBounded(names, 50, async (n) => void (await container.getBlockBlobClient(n).upload(`text of ${n}\n`, `text of ${n}\n`.length)));
    await container.getBlockBlobClient("other/not-me.txt").upload("x", 1);
    return container;
  };

  test("task add --from-blobs adds 500 tasks in one command; each downloads its blob; job wait succeeds", { timeout: 280_000 }, async () => {
    const container = await textBlobs(`cli-${ns.name}`, 500, 3);
    await createJob("ocr");

    const env = { ...process.env, AZURE_STORAGE_CONNECTION_STRING: azurite };
    const add = await kubatch(
      ["task", "add", "ocr", "--from-blobs", container.url, "--prefix", "scans/", "--sas-expiry", "1h", "--resource-file", "{blobUrl}", "--name-template", "ocr-{name}", "--command", "cat {name}"],
      120_000,
      env,
    );
    assert.equal(add.code, 0, show(add));
    assert.match(add.stdout, /500 tasks: 500 created, 0 existing, 0 failed/);

    const wait = await kubatch(["job", "wait", "ocr", "--timeout", "200s", "--interval", "2s"], 210_000);
    assert.equal(wait.code, 0, show(wait));
    assert.match(wait.stdout, /job ocr: all 500 tasks completed in .*: 500 succeeded, 0 failed/);
    assert.match(wait.stderr, /\d+\/500 completed, 0 failed, \d+ running/, "progress lines while waiting");

    const out = await kubatch(["task", "output", "ocr-page-007-txt"]);
    assert.equal(out.stdout, "text of scans/page-007.txt\n", show(out));
  });

  test("task add --from-blobs --collection --sas-expiry: the operator lists the container with the SAS the CLI made, each item reads its blob through {blobUrl}", { timeout: 280_000 }, async () => {
    const container = await textBlobs(`coll-${ns.name}`, 40, 2);
    await createJob("pages");
    const env = { ...process.env, AZURE_STORAGE_CONNECTION_STRING: azurite };
    // Each item fetches its blob with the node's own Node.js (no shell: the command line is split
    // into words as a POSIX shell would) and fails unless it reads the text.
    const fetchBlob = `node -e 'fetch(process.argv[1]).then((r) => r.text()).then((t) => process.exit(t === "text of " + process.argv[2] + "\\n" ? 0 : 3))' {blobUrl} {blobName}`;
    // Nothing under the prefix: refused before a collection of no items is made.
    const empty = await kubatch(["task", "add", "pages", "--from-blobs", container.containerName, "--prefix", "nothing/", "--sas-expiry", "1h", "--collection", "--command", fetchBlob], 60_000, env);
    assert.equal(empty.code, 1, show(empty));
    assert.match(empty.stderr, /--from-blobs: no blobs in http:\/\/\S+ under prefix "nothing\/": the collection would have no items/);
    // The bare container name: the connection string says which account.
    const add = await kubatch(["task", "add", "pages", "--from-blobs", container.containerName, "--prefix", "scans/", "--sas-expiry", "1h", "--collection", "--name", "pages", "--command", fetchBlob], 60_000, env);
    assert.equal(add.code, 0, show(add));
    const get = async () =>
      (await custom.getNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", plural: "taskcollections", namespace: ns.name, name: "pages" })) as { spec: { source: { blobs: { containerUrl: string } } }; status?: { state?: string; itemCount?: number; counts?: object; failures?: unknown[] } };
    assert.match((await get()).spec.source.blobs.containerUrl, /[?&]sig=/, "the container URL carries the SAS");
    const done = await eventually("collection pages Completed", 240_000, async () => {
      const c = await get();
      return c.status?.state === "Completed" ? c : undefined;
    }, async () => JSON.stringify((await get()).status));
    assert.equal(done.status?.itemCount, 40);
    assert.deepEqual(done.status?.counts, { active: 0, running: 0, succeeded: 40, failed: 0 }, JSON.stringify(done.status?.failures));
    await container.deleteIfExists();
  });

  test("a failing task makes job wait exit 1 and list it", { timeout: 120_000 }, async () => {
    await createJob("mixed");
    const add = await kubatch(["task", "add", "mixed", "--range", "1..4", "--command", '/bin/sh -c "echo oops {} >&2; test {} -ne 3"']);
    assert.equal(add.code, 0, show(add));
    const wait = await kubatch(["job", "wait", "mixed", "--timeout", "90s"], 100_000);
    assert.equal(wait.code, 1, show(wait));
    assert.match(wait.stdout, /all 4 tasks completed in .*: 3 succeeded, 1 failed/);
    assert.match(wait.stdout, /NAME\s+EXIT CODE\s+FAILURE CODE\s+STDERR\nmixed-task-3\s+1\s+FailureExitCode\s+oops 3/);
    const list = await kubatch(["task", "list", "mixed", "-o", "wide"]);
    assert.match(list.stdout, /mixed-task-3\s+Completed\s+Failure\s+\S+\s+1\s+0\s+0\s+\S+\s+cli\s+FailureExitCode: /, show(list));
    const byCode = JSON.parse((await kubatch(["task", "list", "mixed", "--exit-code", "1", "-o", "json"])).stdout) as { name: string; node: string }[];
    assert.deepEqual(byCode.map((r) => r.name), ["mixed-task-3"], "--exit-code 1");
    const onNode = JSON.parse((await kubatch(["task", "list", "mixed", "--node", byCode[0]!.node, "-o", "json"])).stdout) as { name: string; node: string }[];
    assert.ok(onNode.length >= 1 && onNode.every((r) => r.node === byCode[0]!.node) && onNode.some((r) => r.name === "mixed-task-3"), `--node: ${JSON.stringify(onNode)}`);
  });

  test("task list --state failed and task output show a collection's failed items one by one; the rest are counted", { timeout: 300_000 }, async () => {
    await createJob("coll");
    const add = await kubatch(["task", "add", "coll", "--range", "0..29", "--collection", "--name", "items", "--command", '/bin/sh -c "case {index} in 3|17) echo bad {index} >&2; exit 2;; esac"']);
    assert.equal(add.code, 0, show(add));
    const get = async () =>
      (await custom.getNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", plural: "taskcollections", namespace: ns.name, name: "items" })) as { status?: { state?: string } };
    await eventually("collection items Completed", 240_000, async () => ((await get()).status?.state === "Completed" ? true : undefined), async () => JSON.stringify((await get()).status));
    const owners = ((await get()) as { metadata?: { ownerReferences?: { kind: string; name: string }[] } }).metadata?.ownerReferences;
    assert.deepEqual(owners?.map((o) => `${o.kind}/${o.name}`), ["Job/coll"], "the collection is created owned by its job");
    const summary = /collection items: 30 items, 28 succeeded, 2 failed, 0 running, 0 active \(state Completed\)/;

    const failed = await kubatch(["task", "list", "coll", "--state", "failed"]);
    assert.equal(failed.code, 0, show(failed));
    const lines = failed.stdout.trim().split("\n");
    assert.match(lines[0]!, /^NAME\s+STATE\s+RESULT\s+NODE\s+EXIT CODE\s+RETRIES\s+REQUEUES\s+DURATION$/);
    assert.equal(lines.length, 3, show(failed));
    assert.match(lines[1]!, /^items-3\s+Completed\s+Failure\s+cli-dedicated-\S+\s+2\s+0\s+0$/);
    assert.match(lines[2]!, /^items-17\s+Completed\s+Failure\s+cli-dedicated-\S+\s+2\s+0\s+0$/);
    assert.match(failed.stderr, summary);

    const all = await kubatch(["task", "list", "coll"]);
    assert.equal(all.code, 0, show(all));
    assert.equal(all.stdout, "", "no rows per item without --state");
    assert.match(all.stderr, summary);
    assert.match(all.stderr, /its 2 failed items \(ids items-<index>\): --state failed lists them/);

    const json = await kubatch(["task", "list", "coll", "--state", "failed", "-o", "json"]);
    const objects = JSON.parse(json.stdout) as { kind: string; name: string; exitCode?: number; item?: string; counts?: { succeeded: number; failed: number } }[];
    assert.deepEqual(
      objects.map((o) => [o.kind, o.name, o.exitCode, o.item]),
      [["CollectionItem", "items-3", 2, "3"], ["CollectionItem", "items-17", 2, "17"], ["TaskCollection", "items", undefined, undefined]],
    );
    assert.deepEqual(objects[2]!.counts, { active: 0, running: 0, succeeded: 28, failed: 2 });

    const err = await kubatch(["task", "output", "items-17", "--stderr"]);
    assert.equal(err.code, 0, show(err));
    assert.equal(err.stdout, "bad 17\n");
    assert.match(err.stderr, /item items-17 of task collection items \(Completed, Failure, exit code 2\): the last KiB of stderr\.txt .*\$AZ_BATCH_NODE_ROOT_DIR\/workitems\/coll\/job-1\/items-17\/stderr\.txt on node cli-dedicated-/);
    const ok = await kubatch(["task", "output", "items-4"]);
    assert.equal(ok.code, 0, show(ok));
    assert.equal(ok.stdout, "");
    assert.match(ok.stderr, /\(Completed, Success\): .* working directory is removed from its node after it succeeded/);
    const beyond = await kubatch(["task", "output", "items-30"]);
    assert.equal(beyond.code, 1, show(beyond));
    assert.match(beyond.stderr, /task "items-30" not found .*task collection items has 30 items \(items-0 … items-29\)/);
  });

  test("task add --from-files adds one task per local file", { timeout: 120_000 }, async () => {
    // One task per matching file, its path substituted for {}; the files stay on this machine
    // (the node's containers do not see them), so the task only names its file.
    const dir = await mkdtemp(join(tmpdir(), "kubatch-cli-files-"));
    try {
      for (const n of ["a.txt", "b.txt", "skip.dat"]) await writeFile(join(dir, n), `content ${n}\n`);
      await createJob("files");
      const add = await kubatch(["task", "add", "files", "--from-files", join(dir, "*.txt"), "--name-template", "f-{name}", "--command", "echo {}"]);
      assert.equal(add.code, 0, show(add));
      assert.match(add.stdout, /2 tasks: 2 created/);
      const wait = await kubatch(["job", "wait", "files", "--timeout", "90s"], 100_000);
      assert.equal(wait.code, 0, show(wait));
      assert.equal((await kubatch(["task", "output", "f-b-txt"])).stdout, `${join(dir, "b.txt")}\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("job wait exits 2 when the timeout passes first", { timeout: 60_000 }, async () => {
    await createJob("slow");
    const add = await kubatch(["task", "add", "slow", "--range", "1..1", "--command", "sleep 20"]);
    assert.equal(add.code, 0, show(add));
    const wait = await kubatch(["job", "wait", "slow", "--timeout", "2s"], 30_000);
    assert.equal(wait.code, 2, show(wait));
    assert.match(wait.stdout, /timed out after 2s: job slow: 0\/1 tasks completed/);
    assert.doesNotMatch(wait.stdout, /what blocks it/, "a running task blocks nothing");
  });

  test("job wait that gives up names what blocks the job: its pool missing", { timeout: 60_000 }, async () => {
    await custom.createNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", plural: "jobs", namespace: ns.name, body: { apiVersion: "kubatch.dev/v1alpha1", kind: "Job", metadata: { name: "orphan" }, spec: { poolInfo: { poolId: "no-such-pool" } } } });
    const add = await kubatch(["task", "add", "orphan", "--range", "1..2", "--command", "true"]);
    assert.equal(add.code, 0, show(add));
    await eventually("the job says its pool is missing", 30_000, async () => {
      const j = (await custom.getNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", plural: "jobs", namespace: ns.name, name: "orphan" })) as { status?: { conditions?: { type: string; status: string }[] } };
      return j.status?.conditions?.some((c) => c.type === "PoolReady" && c.status === "False") ? true : undefined;
    });
    const wait = await kubatch(["job", "wait", "orphan", "--timeout", "2s"], 30_000);
    assert.equal(wait.code, 2, show(wait));
    assert.match(wait.stdout, /what blocks it:\n  job: PoolReady=False PoolNotFound: /);
  });

  const usage: Record<string, { args: string[]; env?: NodeJS.ProcessEnv; code: number; message: RegExp }> = {
    "a bad range": { args: ["task", "add", "sweep", "--range", "1-5", "--command", "x"], code: 2, message: /--range: "1-5" is not a range of integers A\.\.B/ },
    "no input source": { args: ["task", "add", "sweep", "--command", "x"], code: 2, message: /one of --from-blobs, --from-files, --range is required/ },
    "two input sources": { args: ["task", "add", "sweep", "--range", "1..2", "--from-files", "*.txt", "--command", "x"], code: 2, message: /only one of --from-files, --range/ },
    "an unknown placeholder": { args: ["task", "add", "sweep", "--range", "1..2", "--command", "x {nmae}"], code: 2, message: /--command: unknown placeholder \{nmae\}/ },
    "a blob placeholder with a range": { args: ["task", "add", "sweep", "--range", "1..2", "--command", "get {blobUrl}"], code: 2, message: /\{blobUrl\} is only available with --from-blobs/ },
    "an unknown option": { args: ["task", "list", "sweep", "--colour"], code: 2, message: /Unknown option '--colour'/ },
    "a bad timeout": { args: ["job", "wait", "sweep", "--timeout", "soon"], code: 2, message: /--timeout: invalid duration "soon"/ },
    "a bad state": { args: ["task", "list", "sweep", "--state", "done"], code: 2, message: /--state: "done" is not one of active, running, completed, succeeded, failed/ },
    "a bad output format": { args: ["task", "list", "sweep", "-o", "yaml"], code: 2, message: /--output: "yaml" is not one of wide, json/ },
    "a missing job argument": { args: ["job", "status"], code: 2, message: /missing argument JOB/ },
    "a connection string for a collection without --sas-expiry": {
      args: ["task", "add", "sweep", "--from-blobs", "images", "--connection-string", "AccountName=a;AccountKey=a2V5", "--collection", "--command", "x {blobUrl}"],
      code: 2,
      message: /--connection-string with --collection needs --sas-expiry: the container URL then carries a read\+list SAS/,
    },
    "a container name for a collection without --sas-expiry (the connection string from the environment)": {
      args: ["task", "add", "sweep", "--from-blobs", "images", "--collection", "--command", "x {blobUrl}"],
      env: { AZURE_STORAGE_CONNECTION_STRING: "AccountName=a;AccountKey=a2V5" },
      code: 2,
      message: /--from-blobs: "images" is a container name; with --collection the operator lists it, so give --sas-expiry/,
    },
    "a missing job": { args: ["task", "add", "nojob", "--range", "1..2", "--command", "x"], code: 1, message: /job "nojob" not found in namespace "cli-/ },
    "a missing task": { args: ["task", "output", "no-such-task"], code: 1, message: /task "no-such-task" not found in namespace "cli-.*": no Task of that name \(tasks\.kubatch\.dev\), and no task collection there has an item of that id/ },
  };
  for (const [name, tc] of Object.entries(usage)) {
    test(`refuses ${name} (exit ${tc.code})`, { timeout: 30_000 }, async () => {
      const r = await kubatch(tc.args, 20_000, { ...process.env, ...tc.env });
      assert.equal(r.code, tc.code, show(r));
      assert.match(r.stderr, tc.message);
    });
  }

  test("works as the kubectl plugin `kubectl batch` through a symlink", { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "kubectl-plugin-"));
    try {
      await symlink(kubatchBin, join(dir, "kubectl-batch"));
      const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
      const r = await run(kubectlPath(), ["batch", "job", "status", "sweep", "-n", ns.name], 30_000, env);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, /Job:\s+sweep/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("job disable, enable and terminate write the spec; the operator requeues, reruns and ends the job", { timeout: 120_000 }, async () => {
    type Obj = { spec: Record<string, unknown>; status?: { state?: string; conditions?: { type: string; reason?: string }[]; executionInfo?: { terminateReason?: string; requeueCount?: number; result?: string; failureInfo?: { code?: string } } } };
    const get = async (plural: "jobs" | "tasks", name: string) => (await custom.getNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", plural, namespace: ns.name, name })) as Obj;
    const until = (what: string, plural: "jobs" | "tasks", name: string, ok: (o: Obj) => boolean) =>
      eventually(what, 60_000, async () => {
        const o = await get(plural, name);
        return ok(o) ? o : undefined;
      }, async () => JSON.stringify((await get(plural, name)).status));
    const marker = hostFolder("ctl-", shared);
    try {
      await createJob("ctl");
      const task = (name: string, commandLine: string) =>
        custom.createNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", plural: "tasks", namespace: ns.name, body: { apiVersion: "kubatch.dev/v1alpha1", kind: "Task", metadata: { name }, spec: { jobName: "ctl", commandLine } } });
      await task("ctl-1", `/bin/sh -c 'test -f ${marker}/ran && exit 0; touch ${marker}/ran; sleep 120'`);
      await until("ctl-1 running", "tasks", "ctl-1", (t) => t.status?.state === "Running");

      const bad = await kubatch(["job", "disable", "ctl", "--tasks", "later"]);
      assert.equal(bad.code, 2, show(bad));
      assert.match(bad.stderr, /--tasks: "later" is not one of requeue, terminate, wait/);

      const disabled = await kubatch(["job", "disable", "ctl"]);
      assert.equal(disabled.code, 0, show(disabled));
      assert.equal((await get("jobs", "ctl")).spec.disableTasks, "Requeue");
      await until("job ctl Disabled", "jobs", "ctl", (j) => j.status?.state === "Disabled");
      const requeued = await until("ctl-1 requeued", "tasks", "ctl-1", (t) => t.status?.state === "Active");
      assert.equal(requeued.status?.executionInfo?.requeueCount, 1);

      const enabled = await kubatch(["job", "enable", "ctl"]);
      assert.equal(enabled.code, 0, show(enabled));
      const rerun = await until("ctl-1 ran again", "tasks", "ctl-1", (t) => t.status?.state === "Completed");
      assert.equal(rerun.status?.executionInfo?.result, "Success");

      await task("ctl-2", "sleep 120");
      await until("ctl-2 running", "tasks", "ctl-2", (t) => t.status?.state === "Running");
      // Free text with spaces and unicode: executionInfo keeps it; the condition's reason is UserTerminate.
      const terminated = await kubatch(["job", "terminate", "ctl", "--reason", "user says stop — ✋"]);
      assert.equal(terminated.code, 0, show(terminated));
      const done = await until("job ctl Completed", "jobs", "ctl", (j) => j.status?.state === "Completed");
      assert.equal(done.status?.executionInfo?.terminateReason, "user says stop — ✋");
      assert.equal(done.status?.conditions?.find((c) => c.type === "Completed")?.reason, "UserTerminate");
      assert.equal((await get("tasks", "ctl-2")).status?.executionInfo?.failureInfo?.code, "TaskEnded");

      const late = await kubatch(["job", "enable", "ctl"]);
      assert.equal(late.code, 1, show(late));
      assert.match(late.stderr, /job "ctl" is Completed \(user says stop — ✋\): it cannot be enabled/);

      // A task added to the ended job never runs: job wait stops on the job's end, not at its timeout.
      await task("ctl-3", "/bin/true");
      const waited = await kubatch(["job", "wait", "ctl", "--timeout", "60s"]);
      assert.equal(waited.code, 1, show(waited));
      assert.match(waited.stdout, /job ctl ended \(user says stop — ✋\) after .* before all its tasks completed: 2\/3 completed \(1 succeeded, 1 failed\), 0 running, 1 active/);
    } finally {
      await rm(marker, { recursive: true, force: true });
    }
  });
});
