// Auto pools (autoPoolSpecification) against the real local control plane and the operator:
// the pool appears with its job (or work item), runs its tasks, and goes when its lifetime
// ends — unless keepAlive.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { eventually } from "../../local-cluster/probe.ts";
import { kubeConfig, noCluster } from "./support/cluster.ts";
import { Kubatch, type Obj } from "./support/kubatch.ts";
import { testNamespace } from "./support/namespace.ts";
import { autoPoolOwnerKindLabel, autoPoolOwnerLabel } from "../../api/labels.ts";
import { hostFolder, mountHostFolder } from "./support/host-folder.ts";

const api = { group: "kubatch.dev", version: "v1alpha1" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const poolSpec = { vmSize: "small", targetDedicatedNodes: 1 };

type Meta = { name: string; uid: string; labels?: Record<string, string>; deletionTimestamp?: string; ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[] };
type PoolObj = { metadata: Meta };

describe("auto pools", { skip: noCluster }, () => {
  let kc: KubeConfig;
  let ns: { name: string; remove: () => Promise<void> };
  let k: Kubatch;
  let core: CoreV1Api;

  before(async () => {
    kc = kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    ns = await testNamespace(kc, "auto-pools");
    k = new Kubatch(kc, ns.name);
  });
  after(() => ns.remove());

  const readPool = async (name: string) => (await k.custom.getNamespacedCustomObject({ ...api, namespace: ns.name, plural: "pools", name })) as PoolObj;
  const poolGone = async (name: string): Promise<true | undefined> => {
    const [pool, pods] = await Promise.all([readPool(name).catch(() => undefined), core.listNamespacedPod({ namespace: ns.name, labelSelector: `kubatch.dev/pool=${name}` })]);
    return pool === undefined && pods.items.length === 0 ? true : undefined;
  };
  const del = (plural: string, name: string) => k.custom.deleteNamespacedCustomObject({ ...api, namespace: ns.name, plural, name });
  /** Adds a task to the job and waits for it: the pool it ran on. */
  const runTask = async (job: string): Promise<string> => {
    const name = `${job}-t`;
    await k.create("Task", name, { jobName: job, commandLine: `/bin/sh -c "echo on $AZ_BATCH_POOL_ID"` });
    const t = await eventually(`task ${name} Completed`, 90_000, async () => {
      const s = (await k.task(name)).status;
      return s?.state === "Completed" ? s : undefined;
    }, async () => JSON.stringify((await k.task(name)).status ?? {}));
    assert.equal(t.executionInfo?.exitCode, 0, JSON.stringify(t));
    return t.nodeInfo?.poolId ?? "";
  };
  const completed = (job: string) =>
    eventually(`job ${job} Completed`, 30_000, async () => ((await k.job(job)).status?.state === "Completed" ? true : undefined), async () => JSON.stringify((await k.job(job)).status));

  test("a job's own pool: appears with the job, runs its tasks, goes when it completes unless keepAlive", async (t) => {
    const cases: Record<string, { keepAlive: boolean; prefix?: string; pool: string }> = {
      "lifetime Job: removed when the job completes": { keepAlive: false, pool: "auto-solo" },
      "keepAlive: the pool stays after the job and is owned by nobody": { keepAlive: true, prefix: "kept", pool: "kept-lasting" },
    };
    for (const [caseName, tc] of Object.entries(cases)) {
      await t.test(caseName, async () => {
        const job = tc.pool.slice(tc.pool.indexOf("-") + 1);
        await k.create("Job", job, {
          poolInfo: { autoPoolSpecification: { autoPoolIdPrefix: tc.prefix, poolLifetimeOption: "Job", keepAlive: tc.keepAlive, pool: poolSpec } },
          onAllTasksComplete: "TerminateJob",
        });
        const jobUid = (await k.job(job)).metadata.uid;
        const pool = await eventually(`pool ${tc.pool}`, 30_000, () => readPool(tc.pool));
        assert.equal(pool.metadata.labels?.[autoPoolOwnerKindLabel], "Job");
        assert.equal(pool.metadata.labels?.[autoPoolOwnerLabel], job);
        if (tc.keepAlive) assert.equal(pool.metadata.ownerReferences, undefined);
        else assert.deepEqual(pool.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]), [["Job", job, jobUid, true]]);

        assert.equal(await runTask(job), tc.pool, "the task ran on the job's auto pool");
        await completed(job);
        assert.equal((await k.job(job)).status?.executionInfo?.poolId, tc.pool);
        if (!tc.keepAlive) {
          await eventually(`pool ${tc.pool} and its nodes gone`, 60_000, () => poolGone(tc.pool));
          return;
        }
        await sleep(3_000);
        assert.equal((await readPool(tc.pool)).metadata.deletionTimestamp, undefined, "a keepAlive pool stays after its job");
        await del("jobs", job);
        await eventually(`job ${job} gone`, 30_000, async () => ((await k.job(job).catch(() => undefined)) ? undefined : true));
        await sleep(2_000);
        assert.equal((await readPool(tc.pool)).metadata.deletionTimestamp, undefined, "a keepAlive pool stays after its job is deleted");
        await del("pools", tc.pool);
        await eventually(`pool ${tc.pool} gone`, 60_000, () => poolGone(tc.pool));
      });
    }
  });

  test("a job's release task runs to its end on the auto pool's node before the pool goes", async () => {
    const dir = hostFolder("kubatch-auto-release-");
    try {
      await k.create("Job", "rel", {
        poolInfo: { autoPoolSpecification: { poolLifetimeOption: "Job", pool: { ...poolSpec, ...mountHostFolder(dir) } } },
        onAllTasksComplete: "TerminateJob",
        // Slow on purpose: without the wait, the pool's deletion would stop it half way.
        jobReleaseTask: { commandLine: `/bin/sh -c "sleep 3; echo $AZ_BATCH_NODE_ID > ${dir}/released"` },
      });
      await eventually("pool auto-rel", 30_000, () => readPool("auto-rel"));
      await runTask("rel");
      await completed("rel");
      await sleep(1_000);
      assert.equal((await readPool("auto-rel")).metadata.deletionTimestamp, undefined, "kept while the release task runs");
      await eventually("pool auto-rel and its nodes gone", 90_000, () => poolGone("auto-rel"));
      assert.match(readFileSync(join(dir, "released"), "utf8"), /^auto-rel-/, "the release task ran to its end on the pool's node");
      const events = (await core.listNamespacedEvent({ namespace: ns.name, fieldSelector: `involvedObject.name=rel` })).items.map((e) => e.reason);
      assert.ok(events.includes("AutoPoolKeptForRelease") && events.includes("JobReleaseTaskCompleted") && events.includes("AutoPoolDeleted"), events.join(", "));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a work item's jobs: one shared pool under JobSchedule, a pool per job under Job", async (t) => {
    const cases: Record<string, { lifetime: "Job" | "JobSchedule"; pools: [string, string] }> = {
      "JobSchedule: one pool for successive jobs, removed with the work item": { lifetime: "JobSchedule", pools: ["shared-sched", "shared-sched"] },
      "Job: each job its own pool, removed when that job completes": { lifetime: "Job", pools: ["shared-perjob-job-0000000001", "shared-perjob-job-0000000002"] },
    };
    for (const [caseName, tc] of Object.entries(cases)) {
      await t.test(caseName, async () => {
        const wi = tc.lifetime === "JobSchedule" ? "sched" : "perjob";
        await k.create("WorkItem", wi, {
          schedule: { recurrenceInterval: "PT10S" },
          jobSpecification: {
            poolInfo: { autoPoolSpecification: { autoPoolIdPrefix: "shared", poolLifetimeOption: tc.lifetime, pool: poolSpec } },
            onAllTasksComplete: "TerminateJob",
          },
        });
        const jobs = [`${wi}-job-0000000001`, `${wi}-job-0000000002`];
        const poolUids: string[] = [];
        for (const [i, job] of jobs.entries()) {
          await eventually(`job ${job}`, 40_000, () => k.job(job));
          const pool = await eventually(`pool ${tc.pools[i]}`, 30_000, async () => {
            const p = await readPool(tc.pools[i]!);
            return p.metadata.deletionTimestamp ? undefined : p;
          });
          poolUids.push(pool.metadata.uid);
          const owner = tc.lifetime === "JobSchedule" ? ["WorkItem", wi] : ["Job", job];
          assert.deepEqual([pool.metadata.labels?.[autoPoolOwnerKindLabel], pool.metadata.labels?.[autoPoolOwnerLabel]], owner);
          assert.deepEqual(pool.metadata.ownerReferences?.map((r) => [r.kind, r.name]), [owner]);
          assert.equal(await runTask(job), tc.pools[i], `job ${job} ran on ${tc.pools[i]}`);
          await completed(job);
          if (tc.lifetime === "Job") await eventually(`pool ${tc.pools[i]} gone after its job`, 60_000, () => poolGone(tc.pools[i]!));
        }
        if (tc.lifetime === "JobSchedule") {
          assert.equal(poolUids[0], poolUids[1], "the second job ran on the same pool object");
          assert.equal((await readPool(tc.pools[0])).metadata.deletionTimestamp, undefined, "the pool stays while the work item lives");
        }
        await del("workitems", wi);
        await eventually(`pool ${tc.pools[1]} gone with the work item`, 90_000, () => poolGone(tc.pools[1]));
      });
    }
  });

  test("a pool of the auto pool's name that is not one is left alone", async () => {
    await k.create("Pool", "auto-squatter", { vmSize: "small", targetDedicatedNodes: 0 });
    await k.create("Job", "squatter", { poolInfo: { autoPoolSpecification: { pool: poolSpec } } });
    const events = await eventually("an AutoPoolConflict event", 30_000, async () => {
      const list = await core.listNamespacedEvent({ namespace: ns.name, fieldSelector: "involvedObject.kind=Job,involvedObject.name=squatter" });
      return list.items.find((e) => e.reason === "AutoPoolConflict");
    });
    assert.match(events.message ?? "", /auto-squatter exists and is not the auto pool of Job squatter/);
    const pool = (await k.pool("auto-squatter")) as Obj<unknown>;
    assert.equal(pool.metadata.labels?.[autoPoolOwnerLabel], undefined);
    assert.equal((pool.spec as { targetDedicatedNodes?: number }).targetDedicatedNodes, 0);
    await del("jobs", "squatter");
    await sleep(2_000);
    assert.ok(await readPool("auto-squatter"), "the pool is not deleted with the job");
  });
});
