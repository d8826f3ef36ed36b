// Work items (job schedules) against the real local control plane and the operator: jobs named
// `<workitem>-job-0000000001`, …, created on the schedule with at most one active at a time,
// executionInfo.nextRunTime and recentJob, a run skipped when its start window passed, and
// schedules that are already over; disable, enable and terminate (the CLI's workitem commands).
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { JobStatus } from "../../api/job.ts";
import type { PoolStatus } from "../../api/pool.ts";
import type { WorkItemStatus } from "../../api/work-item.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { kubeConfig, noCluster } from "./support/cluster.ts";
import { Kubatch, type Obj } from "./support/kubatch.ts";
import { testNamespace } from "./support/namespace.ts";
import { run, show } from "./support/run.ts";

const api = { group: "kubatch.dev", version: "v1alpha1" };
const pool = "wi-pool";
const kubatchBin = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "kubatch");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type JobObj = Obj<JobStatus> & { metadata: { creationTimestamp: string } };
type WorkItemObj = Obj<WorkItemStatus> & { metadata: { creationTimestamp: string } };

describe("work items", { skip: noCluster }, () => {
  let kc: KubeConfig;
  let ns: { name: string; remove: () => Promise<void> };
  let k: Kubatch;

  before(async () => {
    kc = kubeConfig();
    ns = await testNamespace(kc, "work-items");
    k = new Kubatch(kc, ns.name);
    await k.create("Pool", pool, { vmSize: "small", targetDedicatedNodes: 1 });
    await eventually(`pool ${pool} Ready`, 90_000, async () => {
      const s = (await k.pool(pool)).status as PoolStatus | undefined;
      return s?.conditions?.find((c) => c.type === "Ready")?.status === "True" ? true : undefined;
    });
  });
  after(() => ns.remove());

  const jobsOf = async (workItem: string): Promise<JobObj[]> =>
    (
      (await k.custom.listNamespacedCustomObject({ ...api, namespace: ns.name, plural: "jobs", labelSelector: `kubatch.dev/work-item=${workItem}` })) as { items: JobObj[] }
    ).items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const workItem = async (name: string) => (await k.custom.getNamespacedCustomObject({ ...api, namespace: ns.name, plural: "workitems", name })) as WorkItemObj;
  const deleteWorkItem = (name: string) => k.custom.deleteNamespacedCustomObject({ ...api, namespace: ns.name, plural: "workitems", name });
  const jobSpecification = { poolInfo: { poolId: pool }, onAllTasksComplete: "TerminateJob" };
  const task = (job: string, seconds: number) => k.create("Task", `${job}-t`, { jobName: job, commandLine: `/bin/sh -c "sleep ${seconds}"` });
  const brief = (jobs: JobObj[]) => jobs.map((j) => `${j.metadata.name}=${j.status?.state ?? "-"}`).join(" ");

  /**
   * Samples the work item's jobs every 200 ms until `until` holds: never two non-Completed jobs
   * in one listing; each new job gets one task sleeping `seconds[i]` (job i+1; the last value
   * for later jobs). Returns the listings in which a job appeared first.
   */
  async function follow(name: string, seconds: number[], until: (jobs: JobObj[]) => boolean, timeoutMs: number): Promise<Map<string, JobObj[]>> {
    const firstSeen = new Map<string, JobObj[]>();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const jobs = await jobsOf(name);
      const active = jobs.filter((j) => j.status?.state !== "Completed");
      assert.ok(active.length <= 1, `two jobs active at once: ${brief(jobs)}`);
      for (const j of jobs) {
        if (firstSeen.has(j.metadata.name)) continue;
        firstSeen.set(j.metadata.name, jobs);
        await task(j.metadata.name, seconds[Math.min(firstSeen.size - 1, seconds.length - 1)]!);
      }
      if (until(jobs)) return firstSeen;
      assert.ok(Date.now() < deadline, `timed out after ${timeoutMs / 1000}s following work item ${name}: ${brief(jobs)}`);
      await sleep(200);
    }
  }

  test("recurrenceInterval 10s: the second job is created only after the first completes, never two at once", async () => {
    const name = "every10s";
    await k.create("WorkItem", name, { schedule: { recurrenceInterval: "PT10S" }, jobSpecification });
    const [first, second] = [`${name}-job-0000000001`, `${name}-job-0000000002`];
    // The first job's task outlasts the interval: the run due at +10 s waits for it.
    const firstSeen = await follow(name, [13, 1], (jobs) => jobs.find((j) => j.metadata.name === second)?.status?.state === "Completed", 90_000);
    assert.deepEqual([...firstSeen.keys()].slice(0, 2), [first, second]);
    // In the listing where the second job first appeared, the first one had completed.
    assert.equal(firstSeen.get(second)!.find((j) => j.metadata.name === first)?.status?.state, "Completed", brief(firstSeen.get(second)!));

    const wi = await workItem(name);
    const created = Date.parse(wi.metadata.creationTimestamp);
    const [job1, job2] = [await k.job(first), await k.job(second)] as JobObj[];
    const job1End = Date.parse(job1!.status!.executionInfo!.endTime!);
    const job2Created = Date.parse(job2!.metadata.creationTimestamp);
    assert.ok(job1End - created >= 10_000, `the first job ran past the second run's due time (ended ${(job1End - created) / 1000}s after the work item's creation)`);
    // creationTimestamp has whole seconds.
    assert.ok(job2Created >= Math.floor(job1End / 1000) * 1000, `second job created at ${job2!.metadata.creationTimestamp}, before the first ended at ${job1!.status!.executionInfo!.endTime}`);

    const info = wi.status?.executionInfo;
    assert.equal(wi.status?.state, "Active");
    assert.ok([second, `${name}-job-0000000003`].includes(info?.recentJob?.name ?? ""), JSON.stringify(info));
    const next = Date.parse(info?.nextRunTime ?? "");
    assert.ok(Number.isFinite(next) && next > job2Created, `nextRunTime ${info?.nextRunTime} should follow the second job's creation`);
    assert.equal((next - created) % 10_000, 0, `nextRunTime ${info?.nextRunTime} is on the schedule (every 10 s from ${wi.metadata.creationTimestamp})`);
    await deleteWorkItem(name);
  });

  test("no schedule: one job at once; the work item completes with it", async () => {
    const name = "once";
    const t0 = Date.now();
    await k.create("WorkItem", name, { jobSpecification });
    const job = `${name}-job-0000000001`;
    await eventually(`job ${job}`, 30_000, () => k.job(job));
    assert.ok(Date.now() - t0 < 15_000, "the job is created at once");
    const active = await eventually("work item Active with its recent job", 30_000, async () => {
      const wi = await workItem(name);
      return wi.status?.state === "Active" && wi.status.executionInfo?.recentJob?.name === job ? wi : undefined;
    });
    assert.equal(active.status?.executionInfo?.nextRunTime, undefined);
    await task(job, 0);
    const done = await eventually("work item Completed", 60_000, async () => {
      const wi = await workItem(name);
      return wi.status?.state === "Completed" ? wi : undefined;
    }, async () => JSON.stringify((await workItem(name)).status));
    assert.equal((await k.job(job)).status?.state, "Completed");
    assert.ok(done.status?.executionInfo?.endTime, "endTime is set");
    assert.equal(done.status?.executionInfo?.recentJob?.name, job);
    await sleep(2_000);
    assert.deepEqual((await jobsOf(name)).map((j) => j.metadata.name), [job], "no second job");
  });

  test("a schedule already over: no job, the work item completes", async (t) => {
    const past = new Date(Date.now() - 3_600_000).toISOString();
    const cases: Record<string, { schedule: object }> = {
      "doNotRunAfter in the past": { schedule: { doNotRunAfter: past } },
      "doNotRunAfter in the past, recurring": { schedule: { doNotRunAfter: past, recurrenceInterval: "PT10S" } },
    };
    let i = 0;
    for (const [caseName, tc] of Object.entries(cases)) {
      await t.test(caseName, async () => {
        const name = `expired-${++i}`;
        await k.create("WorkItem", name, { schedule: tc.schedule, jobSpecification });
        const wi = await eventually(`work item ${name} Completed`, 30_000, async () => {
          const w = await workItem(name);
          return w.status?.state === "Completed" ? w : undefined;
        });
        assert.equal(wi.status?.executionInfo?.recentJob, undefined);
        assert.equal(wi.status?.executionInfo?.nextRunTime, undefined);
        await sleep(1_000);
        assert.deepEqual(await jobsOf(name), []);
      });
    }
  });

  test("startWindow: a run the previous job overran is skipped and recorded; the next one runs on time", async () => {
    const name = "windowed";
    await k.create("WorkItem", name, { schedule: { recurrenceInterval: "PT10S", startWindow: "PT2S" }, jobSpecification });
    const second = `${name}-job-0000000002`;
    // The first job runs until about +14 s: the run due at +10 s cannot start by +12 s.
    await follow(name, [13, 0], (jobs) => jobs.some((j) => j.metadata.name === second), 90_000);
    const wi = await workItem(name);
    const created = Date.parse(wi.metadata.creationTimestamp);
    const job2Created = Date.parse((await k.job(second) as JobObj).metadata.creationTimestamp);
    assert.ok(job2Created >= created + 20_000, `the second job is the run due at +20 s (created ${(job2Created - created) / 1000}s after the work item)`);
    const core = kc.makeApiClient(CoreV1Api);
    const skipped = await eventually("a RunSkipped event", 30_000, async () => {
      const events = await core.listNamespacedEvent({ namespace: ns.name, fieldSelector: `involvedObject.kind=WorkItem,involvedObject.name=${name}` });
      return events.items.find((e) => e.reason === "RunSkipped");
    });
    assert.match(skipped.message ?? "", new RegExp(new Date(created + 10_000).toISOString().slice(0, 19)));
    await deleteWorkItem(name);
  });

  test("disable, enable and terminate through the CLI: no job while disabled; enabled, the run comes; terminated, its active job ends with the reason and the work item completes for good", async () => {
    const name = "controlled";
    const cli = (args: string[]) => run(kubatchBin, ["workitem", ...args, "-n", ns.name], 30_000);
    await k.create("WorkItem", name, { disabled: true, schedule: { recurrenceInterval: "PT1H" }, jobSpecification });
    const disabled = await eventually("work item Disabled", 30_000, async () => ((await workItem(name)).status?.state === "Disabled" ? workItem(name) : undefined));
    assert.equal(disabled.status?.conditions?.find((c) => c.type === "Ready")?.reason, "Disabled");
    await sleep(2_000);
    assert.deepEqual(await jobsOf(name), [], "no job while disabled");
    const listed = await cli(["list"]);
    assert.equal(listed.code, 0, show(listed));
    assert.match(listed.stdout, /^controlled\s+Disabled\s/m);

    const enabled = await cli(["enable", name]);
    assert.equal(enabled.code, 0, show(enabled));
    const job = `${name}-job-0000000001`;
    await eventually(`job ${job} once enabled`, 30_000, () => k.job(job));
    await task(job, 300);
    await eventually("work item Active", 30_000, async () => ((await workItem(name)).status?.state === "Active" ? true : undefined));

    const terminated = await cli(["terminate", name, "--reason", "end of quarter"]);
    assert.equal(terminated.code, 0, show(terminated));
    const ended = await eventually(`job ${job} terminated`, 60_000, async () => {
      const j = await k.job(job);
      return j.status?.state === "Completed" ? j : undefined;
    });
    assert.equal(ended.status?.executionInfo?.terminateReason, "end of quarter");
    const done = await eventually("work item Completed", 30_000, async () => {
      const wi = await workItem(name);
      return wi.status?.state === "Completed" ? wi : undefined;
    }, async () => JSON.stringify((await workItem(name)).status));
    assert.equal(done.status?.conditions?.find((c) => c.type === "Ready")?.reason, "Terminated");
    assert.ok(done.status?.executionInfo?.endTime);
    const again = await cli(["enable", name]);
    assert.equal(again.code, 1, show(again));
    assert.match(again.stderr, /work item "controlled" is Completed: it cannot be enabled/);
    assert.deepEqual((await jobsOf(name)).map((j) => j.metadata.name), [job], "no job after terminate");
    await deleteWorkItem(name);
  });
});
