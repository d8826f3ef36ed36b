// Task collections on the real node (issue 16): a 20,000-item collection runs as chunks that
// the node agents claim and report in batches. Every item appends its index to a shared file
// on the host, the ground truth outside the cluster: no index missing, none run twice but the
// items an agent killed mid-run was running (each counted as a retry); the counts are exact,
// each failed item is listed with its exit code and stderr, and the writes stay far below one
// per item.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BlobServiceClient } from "@azure/storage-blob";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { CollectionChunkStatus } from "../../api/collection-chunk.ts";
import type { JobStatus } from "../../api/job.ts";
import { nodeLabel } from "../../api/labels.ts";
import type { TaskCollectionStatus } from "../../api/task-collection.ts";
import { forEachBounded } from "../../kube/bounded.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { agentPids } from "./support/agent-process.ts";
import { kubeConfig, noCluster } from "./support/cluster.ts";
import { hostFolder, mountHostFolder } from "./support/host-folder.ts";
import { Kubatch, type Obj } from "./support/kubatch.ts";
import { testNamespace } from "./support/namespace.ts";

const api = { group: "kubatch.dev", version: "v1alpha1" };
const items = Number(process.env.KUBATCH_COLLECTION_ITEMS ?? 20_000);
const azurite = process.env.AZURITE_CONNECTION_STRING;
/** Items that exit 3, writing to stderr. */
const failing = [7, Math.floor(items / 3), Math.floor(items / 2) + 1, items - 1];

describe("task collections", { skip: noCluster }, () => {
  let kc: KubeConfig;
  let ns: { name: string; remove: () => Promise<void> };
  let k: Kubatch;
  let dir: string;

  before(async () => {
    kc = kubeConfig();
    ns = await testNamespace(kc, "collections");
    k = new Kubatch(kc, ns.name);
    dir = hostFolder("kubatch-collections-");
    await k.warmPool("p", 2, { taskSlotsPerNode: 4, ...mountHostFolder(dir) });
  });
  after(async () => {
    await ns.remove();
    // A lost node's last writes may still land while the folder goes.
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  const collection = async (name: string) =>
    (await k.custom.getNamespacedCustomObject({ ...api, namespace: ns.name, plural: "taskcollections", name })) as Obj<TaskCollectionStatus>;
  const chunks = async () =>
    ((await k.custom.listNamespacedCustomObject({ ...api, namespace: ns.name, plural: "collectionchunks" })) as { items: (Obj<CollectionChunkStatus> & { spec: { start: number; count: number } })[] }).items;
  /** How often each index appears in the shared file. */
  const seen = (log: string) => {
    const n = new Map<number, number>();
    if (!existsSync(log)) return n;
    for (const line of readFileSync(log, "utf8").split("\n")) if (line) n.set(Number(line), (n.get(Number(line)) ?? 0) + 1);
    return n;
  };

  test(`a ${items}-item collection with failures at known indexes and an agent killed mid-run: exact counts, each failure listed, nothing lost`, { timeout: 900_000 }, async () => {
    const log = join(dir, "sweep.log");
    await k.create("Job", "sweep", { poolInfo: { poolId: "p" }, onAllTasksComplete: "TerminateJob" });
    const t0 = Date.now();
    await k.create("TaskCollection", "sweep", {
      jobName: "sweep",
      source: { range: { start: 0, end: items - 1 } },
      // One retry: an item cut short by the agent's death counts an attempt (as a single task's does) and runs again.
      task: { commandLine: `/bin/sh -c "echo {index} >> ${log}; case {index} in ${failing.join("|")}) echo bad item {index} >&2; exit 3;; esac"`, constraints: { maxTaskRetryCount: 1 } },
    });
    // Mid-run, the agent of a node running chunks is killed from outside (as the OOM killer would).
    await eventually("a quarter of the items ran", 600_000, async () => (seen(log).size >= items / 4 ? true : undefined), async () => `${seen(log).size} items in the file`);
    const running = (await chunks()).filter((c) => c.status?.state === "Running" && c.metadata.labels?.[nodeLabel]);
    assert.ok(running.length > 0, "chunks running");
    const victim = running[0]!.metadata.labels![nodeLabel]!;
    const pids = agentPids(victim);
    assert.equal(pids.length, 1, `one agent process for ${victim}`);
    process.kill(pids[0]!, "SIGKILL");
    // What the killed agent may have been running: every chunk still assigned to its node, also
    // one assigned a moment before whose Running write had not landed (its first item had started).
    const lanes = (await chunks()).filter((c) => c.metadata.labels?.[nodeLabel] === victim && c.status?.state !== "Completed").length;

    const done = await eventually("the collection Completed", 840_000, async () => {
      const c = await collection("sweep");
      return c.status?.state === "Completed" ? c : undefined;
    }, async () => JSON.stringify((await collection("sweep")).status?.counts));
    const seconds = (Date.now() - t0) / 1000;
    const s = done.status!;
    assert.equal(s.itemCount, items);
    assert.deepEqual(s.counts, { active: 0, running: 0, succeeded: items - failing.length, failed: failing.length });
    assert.deepEqual(s.failures?.map((f) => f.index), failing, "each failed item listed, in index order");
    for (const f of s.failures ?? []) {
      assert.equal(f.id, `sweep-${f.index}`);
      assert.equal(f.exitCode, 3, f.id);
      assert.equal(f.retryCount, 1, `${f.id}: retried once, as its template says`);
      assert.match(f.stderrTail, new RegExp(`bad item ${f.index}`), f.id);
      assert.equal(f.failureInfo?.category, "UserError", f.id);
    }
    assert.equal(s.failuresNotListed ?? 0, 0);

    // The ground truth: every index ran; the failing ones twice (their retry), and once more
    // only those the killed agent was running.
    const n = seen(log);
    const missing = Array.from({ length: items }, (_, i) => i).filter((i) => !n.has(i));
    assert.deepEqual(missing.slice(0, 20), [], `${missing.length} items never ran`);
    const extra = [...n].filter(([i, c]) => c > (failing.includes(i) ? 2 : 1)).map(([i]) => i);
    assert.ok(extra.length <= lanes, `items run once more than their attempts: ${extra.join(", ")} (the killed agent ran ${lanes} chunks)`);

    // The job counts the items as its tasks, and ends when they all completed (onAllTasksComplete).
    const job = await eventually("the job Completed with the items' counts", 60_000, async () => {
      const j = (await k.job("sweep")) as Obj<JobStatus>;
      const c = j.status?.taskCounts;
      return j.status?.state === "Completed" && c?.succeeded === items - failing.length && c.failed === failing.length ? j : undefined;
    }, async () => JSON.stringify(((await k.job("sweep")) as Obj<JobStatus>).status));
    const all = await chunks();
    assert.ok(all.every((c) => c.status?.state === "Completed" && c.status.done === c.spec.count), "every chunk completed, all its items done");
    console.log(`# collection: ${items} items in ${seconds.toFixed(1)} s (${(items / seconds).toFixed(0)}/s) as ${all.length} chunks on 2 nodes × 4 slots; agent of ${victim} killed with ${lanes} chunk(s) running: ${extra.length} item(s) ran again; job ${job.status?.state}`);
  });

  test("a node pod force-deleted mid-run: its chunks go back keeping their reported items, the rest run elsewhere; nothing lost, counts exact", { timeout: 600_000 }, async () => {
    const n = 4000;
    const log = join(dir, "lost.log");
    await k.create("Job", "lost", { poolInfo: { poolId: "p" }, onAllTasksComplete: "TerminateJob" });
    await k.create("TaskCollection", "lost", { jobName: "lost", source: { range: { start: 0, end: n - 1 } }, task: { commandLine: `/bin/sh -c "echo {index} >> ${log}; sleep 0.01"` } });
    await eventually("a quarter of the items ran", 300_000, async () => (seen(log).size >= n / 4 ? true : undefined));
    const running = (await chunks()).filter((c) => c.spec.collectionName === "lost" && c.status?.state === "Running" && c.metadata.labels?.[nodeLabel]);
    assert.ok(running.length > 0, "chunks running");
    const victim = running[0]!.metadata.labels![nodeLabel]!;
    const onVictim = running.filter((c) => c.metadata.labels?.[nodeLabel] === victim).map((c) => c.metadata.name);
    const lostAt = Date.now();
    await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: victim, namespace: ns.name, gracePeriodSeconds: 0 });
    // Each chunk the lost node ran leaves it — but one that completed there before the delete landed, which stays.
    const requeued = await eventually("the lost node's chunks requeued", 30_000, async () => {
      const now = (await chunks()).filter((c) => onVictim.includes(c.metadata.name));
      return now.every((c) => c.metadata.labels?.[nodeLabel] !== victim || c.status?.state === "Completed") ? now.filter((c) => c.metadata.labels?.[nodeLabel] !== victim).map((c) => c.metadata.name) : undefined;
    }, async () => JSON.stringify((await chunks()).filter((c) => onVictim.includes(c.metadata.name)).map((c) => [c.metadata.name, c.metadata.labels, c.status?.state, c.status?.requeueCount])));
    assert.ok(requeued.length > 0, "some chunk was still running on the lost node");
    const requeuedMs = Date.now() - lostAt;
    const done = await eventually("the collection Completed", 300_000, async () => {
      const c = await collection("lost");
      return c.status?.state === "Completed" ? c : undefined;
    }, async () => JSON.stringify((await collection("lost")).status?.counts));
    assert.deepEqual(done.status?.counts, { active: 0, running: 0, succeeded: n, failed: 0 });
    const after = (await chunks()).filter((c) => c.spec.collectionName === "lost");
    for (const name of requeued) assert.equal(after.find((c) => c.metadata.name === name)?.status?.requeueCount, 1, `${name} requeued once`);
    // Every item ran; again only items of the requeued chunks (those the lost node ran after its last report).
    const count = seen(log);
    const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !count.has(i));
    assert.deepEqual(missing.slice(0, 20), [], `${missing.length} items never ran`);
    // A chunk assigned there in the moment before the operator saw the pod go (its agent still
    // ran, and started an item) was requeued too: every requeued chunk may run items again.
    const lost = after.filter((c) => requeued.includes(c.metadata.name) || (c.status?.requeueCount ?? 0) > 0);
    const inLost = (i: number) => lost.some((c) => i >= c.spec.start && i < c.spec.start + c.spec.count);
    const again = [...count].filter(([, c]) => c > 1).map(([i]) => i);
    assert.deepEqual(again.filter((i) => !inLost(i)), [], "only items of the lost node's chunks ran again");
    console.log(`# collection node loss: ${requeued.length} of ${onVictim.length} chunk(s) of ${victim} requeued ${requeuedMs} ms after the force delete (the rest had completed); ${again.length} item(s) ran again (run on the lost node after its last report); ${n} of ${n} succeeded`);
  });

  test("a blob source: the operator lists the container under the prefix (a Secret's credentials, more than one page) into chunks; every blob runs once as its item; the job waits for the listing", { timeout: 600_000, skip: azurite ? undefined : "AZURITE_CONNECTION_STRING is not set: run through `make test`" }, async () => {
    // Azurite lists 5,000 names a page: 5,050 take two.
    const n = 5_050;
    const names = Array.from({ length: n }, (_, i) => `scans/${String(i).padStart(5, "0")}${i % 1000 === 7 ? "-bad" : ""}.png`);
    const bad = names.filter((b) => b.endsWith("-bad.png"));
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: "listing" }, stringData: { connectionString: azurite! } } });
    const container = BlobServiceClient.fromConnectionString(azurite!).getContainerClient(`scans-${ns.name}`);
    await container.createIfNotExists();
    try {
      const t0 = Date.now();
      await forEachBounded([...names, "other/a.png", "other/b.png", "scansx.png"], 32, async (b) => void (await container.getBlockBlobClient(b).upload(b, b.length)));
      const uploadS = (Date.now() - t0) / 1000;
      const log = join(dir, "blobs.log");
      await k.create("Job", "scan", { poolInfo: { poolId: "p" }, onAllTasksComplete: "TerminateJob" });
      const t1 = Date.now();
      await k.create("TaskCollection", "scan", {
        jobName: "scan",
        source: { blobs: { containerUrl: container.url, prefix: "scans/", credentialsSecretRef: { name: "listing" } } },
        task: { commandLine: `/bin/sh -c "echo {index} {blobName} >> ${log}; case {blobName} in *-bad.png) echo bad blob {name} >&2; exit 4;; esac"` },
      });
      // A Secret that does not exist: the listing waits, Ready False naming it.
      await k.create("TaskCollection", "nocreds", { jobName: "scan", source: { blobs: { containerUrl: container.url, credentialsSecretRef: { name: "missing" } } }, task: { commandLine: "/bin/true" } });
      const done = await eventually("the blob collection Completed", 540_000, async () => {
        const c = await collection("scan");
        return c.status?.state === "Completed" ? c : undefined;
      }, async () => JSON.stringify((await collection("scan")).status));
      const seconds = (Date.now() - t1) / 1000;
      const s = done.status!;
      assert.equal(s.itemCount, n, "only the blobs under the prefix");
      const mine = (await chunks()).filter((c) => c.spec.collectionName === "scan") as (Obj<CollectionChunkStatus> & { spec: { start: number; count: number; items?: string[] } })[];
      assert.equal(s.chunkCount, mine.length);
      assert.deepEqual(mine.sort((a, b) => a.spec.start - b.spec.start).flatMap((c) => c.spec.items ?? []), names, "the chunks hold the names in listing order");
      assert.deepEqual(s.counts, { active: 0, running: 0, succeeded: n - bad.length, failed: bad.length });
      assert.deepEqual(s.failures?.map((f) => [f.item, f.exitCode]), bad.map((b) => [b, 4]), "each failed blob listed with its exit code");
      for (const f of s.failures ?? []) assert.match(f.stderrTail, new RegExp(`bad blob ${f.item!.slice("scans/".length)}`), f.id);

      // The ground truth: each blob ran exactly once, as item <its place in name order>.
      const lines = readFileSync(log, "utf8").trim().split("\n");
      assert.equal(lines.length, n, "one run per blob");
      const ran = new Map(lines.map((l) => [Number(l.split(" ")[0]), l.split(" ")[1]]));
      assert.equal(ran.size, n, "no index twice");
      names.forEach((b, i) => assert.equal(ran.get(i), b, `item ${i}`));

      const missing = await eventually("the collection without readable credentials says why", 60_000, async () => {
        const c = await collection("nocreds");
        const ready = c.status?.conditions?.find((x) => x.type === "Ready");
        return ready?.reason === "CredentialsNotReadable" ? ready : undefined;
      }, async () => JSON.stringify((await collection("nocreds")).status));
      assert.match(missing.message ?? "", /Secret missing/);
      // Its job stays open: the items of a collection not listed yet are not counted.
      const job = (await k.job("scan")) as Obj<JobStatus>;
      assert.notEqual(job.status?.state, "Completed", "the job waits for the collection not listed");
      await k.custom.deleteNamespacedCustomObject({ ...api, namespace: ns.name, plural: "taskcollections", name: "nocreds" });
      const ended = await eventually("the job Completed once the unlisted collection went", 60_000, async () => {
        const j = (await k.job("scan")) as Obj<JobStatus>;
        return j.status?.state === "Completed" ? j : undefined;
      }, async () => JSON.stringify(((await k.job("scan")) as Obj<JobStatus>).status));
      assert.deepEqual([ended.status?.taskCounts?.succeeded, ended.status?.taskCounts?.failed], [n - bad.length, bad.length]);
      console.log(`# blob collection: ${n} blobs (uploaded in ${uploadS.toFixed(1)} s) listed into ${mine.length} chunks and run in ${seconds.toFixed(1)} s (${(n / seconds).toFixed(0)}/s); ${bad.length} failed as their command says`);
    } finally {
      await container.deleteIfExists();
    }
  });

  test("dependencies on a collection's items: a task after one item, one after a range, one blocked by a failed item, a collection after a task, a merge after a whole collection", { timeout: 300_000 }, async () => {
    const log = join(dir, "deps.log");
    const line = (what: string) => `/bin/sh -c "echo ${what} >> ${log}"`;
    await k.create("Job", "deps", { poolInfo: { poolId: "p" }, usesTaskDependencies: true });
    // 200 items in 20 chunks; item 150 fails.
    await k.create("TaskCollection", "first", { jobName: "deps", source: { range: { start: 0, end: 199 } }, task: { commandLine: `/bin/sh -c "echo first-{index} >> ${log}; sleep 0.02; [ {index} != 150 ]"` } });
    await k.create("Task", "after-item", { jobName: "deps", dependsOn: { taskIds: ["first-20"] }, commandLine: line("after-item") });
    await k.create("Task", "after-range", { jobName: "deps", dependsOn: { taskCollections: [{ name: "first", start: 0, end: 99 }] }, commandLine: line("after-range") });
    await k.create("Task", "blocked", { jobName: "deps", dependsOn: { taskCollections: [{ name: "first", start: 100, end: 199 }] }, commandLine: line("blocked") });
    await k.create("TaskCollection", "second", { jobName: "deps", source: { range: { start: 0, end: 19 } }, dependsOn: { taskIds: ["after-range"] }, task: { commandLine: line("second-{index}") } });
    await k.create("Task", "merge", { jobName: "deps", dependsOn: { taskCollections: [{ name: "second" }] }, commandLine: line("merge") });

    await eventually("merge Completed", 240_000, async () => ((await k.task("merge")).status?.state === "Completed" ? true : undefined), async () => JSON.stringify((await k.task("merge")).status));
    const why = await eventually("blocked says why", 60_000, async () => {
      const c = (await k.task("blocked")).status?.conditions?.find((x) => x.type === "Schedulable");
      return c?.reason === "DependencyFailed" ? c : undefined;
    }, async () => JSON.stringify((await k.task("blocked")).status));
    assert.match(why.message ?? "", /collection first items 100\.\.199/);
    assert.equal((await k.task("after-item")).status?.state, "Completed");

    // The shared file's order is the ground truth: each dependent ran after what it waits for.
    const lines = readFileSync(log, "utf8").trim().split("\n");
    const at = (what: string) => lines.indexOf(what);
    const lastOf = (prefix: string, n: number) => Math.max(...Array.from({ length: n }, (_, i) => at(`${prefix}-${i}`)));
    assert.ok(at("first-20") >= 0 && at("after-item") > at("first-20"), "after-item ran after item 20");
    assert.ok(at("after-range") > lastOf("first", 100), "after-range ran after items 0..99");
    assert.ok(Math.min(...Array.from({ length: 20 }, (_, i) => at(`second-${i}`))) > at("after-range"), "the second collection ran after after-range");
    assert.ok(at("merge") > lastOf("second", 20), "merge ran after every item of the second collection");
    assert.equal(at("blocked"), -1, "blocked never ran");
  });

  test("an item's exit conditions ask for jobAction Terminate: the job ends (TaskFailed) naming the item; another item's exit code asks for none", { timeout: 300_000 }, async () => {
    await k.create("Job", "act", { poolInfo: { poolId: "p" }, onTaskFailure: "PerformExitOptionsJobAction" });
    await k.create("TaskCollection", "act", {
      jobName: "act",
      source: { range: { start: 0, end: 99 } },
      task: {
        commandLine: `/bin/sh -c "case {index} in 13) exit 1;; 42) exit 7;; esac"`,
        exitConditions: { exitCodes: [{ code: 7, exitOptions: { jobAction: "Terminate" } }], default: { jobAction: "None" } },
      },
    });
    const ended = await eventually("the job Completed by item act-42", 240_000, async () => {
      const j = (await k.job("act")) as Obj<JobStatus>;
      return j.status?.state === "Completed" ? j : undefined;
    }, async () => JSON.stringify(((await k.job("act")) as Obj<JobStatus>).status));
    assert.equal(ended.status?.executionInfo?.terminateReason, "TaskFailed");
    // Why it ended is said as it starts to (Terminating, while items run) or completes at once: in that state's event.
    const said = /item act-42 of task collection act exited with code 7; its exitConditions say jobAction Terminate/;
    const core = kc.makeApiClient(CoreV1Api);
    await eventually("the event naming the item", 30_000, async () => {
      const events = (await core.listNamespacedEvent({ namespace: ns.name, fieldSelector: "involvedObject.kind=Job,involvedObject.name=act" })).items;
      return events.some((e) => (e.reason === "JobTerminating" || e.reason === "JobCompleted") && said.test(e.message ?? "")) ? true : undefined;
    }, async () => JSON.stringify((await core.listNamespacedEvent({ namespace: ns.name, fieldSelector: "involvedObject.kind=Job,involvedObject.name=act" })).items.map((e) => [e.reason, e.message])));
  });
});

