// Job preparation and release tasks on warm nodes, against the real local control plane,
// process node and operator: the preparation runs once per node before that node's first
// task of the job, the release after the job completes on each node that ran it; after a
// failed preparation the node gives the job's tasks back unrun, and they go to other nodes.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { eventually } from "../../local-cluster/probe.ts";
import { kubeConfig, noCluster } from "./support/cluster.ts";
import { Kubatch } from "./support/kubatch.ts";
import { testNamespace } from "./support/namespace.ts";
import { hostFolder, mountHostFolder } from "./support/host-folder.ts";

/** A line `<what> <id> <node> <ns>` appended to a shared log on the host (the local node runs pods as host processes). */
const mark = (log: string, what: string, id = "$AZ_BATCH_TASK_ID") => `echo ${what} ${id} $AZ_BATCH_NODE_ID $(date +%s%N) >> ${log}`;

/** at: microseconds since the epoch. */
type Line = { what: string; id: string; node: string; at: number };

function lines(log: string): Line[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [what, id, node, ns] = l.split(" ");
      return { what: what!, id: id!, node: node!, at: Number(BigInt(ns!) / 1000n) };
    });
}

describe("job preparation and release tasks", { skip: noCluster }, () => {
  let kc: KubeConfig;
  let ns: { name: string; remove: () => Promise<void> };
  let k: Kubatch;
  let dir: string;

  before(async () => {
    kc = kubeConfig();
    ns = await testNamespace(kc, "prep");
    k = new Kubatch(kc, ns.name);
    dir = hostFolder("kubatch-prep-");
    // q has room for every task of the outcome cases at once, so each case's first tasks land on both nodes.
    await Promise.all([k.warmPool("p", 2, { taskSlotsPerNode: 2, ...mountHostFolder(dir) }), k.warmPool("q", 2, { taskSlotsPerNode: 8, ...mountHostFolder(dir) })]);
  });
  after(async () => {
    await ns.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The agents' per-node reports on a job: reason → the nodes named in the messages. */
  const reports = async (job: string) => {
    const list = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: ns.name, fieldSelector: `involvedObject.name=${job},source=kubatch-agent` });
    const out = new Map<string, string[]>();
    for (const e of list.items) out.set(e.reason!, [...(out.get(e.reason!) ?? []), /^node (\S+):/.exec(e.message ?? "")?.[1] ?? "?"].sort());
    return out;
  };

  const completed = async (job: string, n: number, ms: number) =>
    eventually(`${n} tasks of ${job} completed`, ms, async () => {
      const tasks = (await k.tasks(`job=${job}`)).filter((t) => t.status?.state === "Completed");
      return tasks.length === n ? tasks : undefined;
    }, async () => JSON.stringify((await k.job(job)).status?.taskCounts));

  test("preparation once per node before its first task; release on each node that ran the job, after it completed", { timeout: 240_000 }, async () => {
    const log = join(dir, "run.log");
    const n = 8;
    await k.create("Job", "pr", {
      poolInfo: { poolId: "p" },
      onAllTasksComplete: "TerminateJob",
      // The preparation takes a while, so the node's first tasks arrive while it runs and must share it.
      jobPreparationTask: { commandLine: `/bin/sh -c "${mark(log, "prep-start")}; sleep 1; touch ready; ${mark(log, "prep-end")}"` },
      jobReleaseTask: { commandLine: `/bin/sh -c "${mark(log, "release")}"`, maxWallClockTime: "PT1M" },
    });
    await k.createMany("Task", Array.from({ length: n }, (_, i) => ({
      name: `pr-${i}`,
      labels: { job: "pr" },
      // Each task checks it sees the preparation's working directory, with the file it left.
      spec: { jobName: "pr", commandLine: `/bin/sh -c "${mark(log, "start")}; test -f $AZ_BATCH_JOB_PREP_WORKING_DIR/ready || exit 3; echo $AZ_BATCH_JOB_PREP_DIR; sleep 0.3; ${mark(log, "end")}"` },
    })));
    const tasks = await completed("pr", n, 120_000);
    for (const t of tasks) {
      assert.equal(t.status?.executionInfo?.result, "Success", `${t.metadata.name}: ${JSON.stringify(t.status?.executionInfo)} ${t.status?.stderrTail ?? ""}`);
      assert.match(t.status?.stdoutTail ?? "", /\/workitems\/pr\/job-1\/jobpreparation\n$/, "AZ_BATCH_JOB_PREP_DIR");
    }
    const job = await eventually("job Completed", 30_000, async () => {
      const j = await k.job("pr");
      return j.status?.state === "Completed" ? j : undefined;
    }, async () => JSON.stringify((await k.job("pr")).status));
    const taskNodes = new Set(tasks.map((t) => t.status!.nodeInfo!.nodeId!));
    const all = await eventually(`a release line from each of ${[...taskNodes].join(", ")}`, 60_000, async () => {
      const l = lines(log);
      return l.filter((x) => x.what === "release").length >= taskNodes.size ? l : undefined;
    }, async () => readFileSync(log, "utf8"));
    // Late duplicates would show up after a short while.
    await new Promise((r) => setTimeout(r, 1_000));
    const final = lines(log);
    assert.equal(final.length, all.length, "nothing ran after the release");
    const endTime = Date.parse(job.status!.executionInfo!.endTime!) * 1000;
    const byNode = Map.groupBy(final, (l) => l.node);
    assert.deepEqual(new Set(byNode.keys()), taskNodes, "only nodes that ran tasks prepared or released");
    for (const [node, list] of byNode) {
      const of = (what: string) => list.filter((l) => l.what === what);
      assert.equal(of("prep-start").length, 1, `${node}: one preparation`);
      assert.equal(of("prep-end").length, 1, `${node}: one preparation`);
      assert.equal(of("release").length, 1, `${node}: one release`);
      const prepEnd = of("prep-end")[0]!.at;
      const release = of("release")[0]!.at;
      for (const s of of("start")) assert.ok(s.at >= prepEnd, `${node}: task ${s.id} started before the preparation ended`);
      for (const e of of("end")) assert.ok(release >= e.at, `${node}: release before task ${e.id} ended`);
      assert.ok(release >= endTime, `${node}: release before the job completed`);
      const ms = (us: number) => Math.round(us / 1000);
      console.log(`# ${node}: ${of("start").length} tasks; preparation ${ms(prepEnd - of("prep-start")[0]!.at)} ms, first task ${ms(Math.min(...of("start").map((s) => s.at)) - prepEnd)} ms after it; release ${ms(release - endTime)} ms after the job's endTime`);
    }
    assert.equal(final.filter((l) => l.what === "start").length, n, "every task ran once");
    // Each node reports its outcomes on the Job.
    const nodes = [...taskNodes].sort();
    const events = await eventually("the agents' events", 30_000, async () => {
      const r = await reports("pr");
      return r.get("JobReleaseTaskCompleted")?.length === nodes.length && r.get("JobPreparationTaskCompleted")?.length === nodes.length ? r : undefined;
    }, async () => JSON.stringify([...(await reports("pr"))]));
    assert.deepEqual(events.get("JobPreparationTaskCompleted"), nodes);
    assert.deepEqual(events.get("JobReleaseTaskCompleted"), nodes);
  });

  // Azure Batch (BatchTaskState.Preparing, learn.microsoft.com/dotnet/api/azure.compute.batch.batchtaskstate.preparing):
  // "If the Job Preparation Task fails, the Task will return to active and will be eligible to be
  // assigned to a different Compute Node"; JobPreparationTask: "Batch will not run Tasks of this
  // Job on the Node. The Compute Node remains ineligible to run Tasks of this Job until it is
  // reimaged. The Compute Node remains active and can be used for other Jobs."
  test("preparation outcomes: a failed one gives the node's tasks back, unrun, to other nodes", { timeout: 240_000 }, async () => {
    const n = 4;
    type Case = { prep: object; ran: boolean; prepRuns: number; event: string; eventMessage?: RegExp; elsewhere?: boolean };
    const cases: Record<string, Case> = {
      "fails on every node (waitForSuccess, after its retries): the tasks stay Active, unassigned, and say why": {
        prep: { commandLine: "echo cannot prepare >&2; exit 5", constraints: { maxTaskRetryCount: 1 } },
        ran: false,
        prepRuns: 2,
        event: "JobPreparationTaskFailed",
        eventMessage: /exit code 5, Failure .*cannot prepare/,
      },
      "exceeds its maxWallClockTime on every node: the same, with the limit named": {
        prep: { commandLine: "sleep 30", constraints: { maxWallClockTime: "1s" } },
        ran: false,
        prepRuns: 1,
        event: "JobPreparationTaskFailed",
        eventMessage: /MaxWallClockTimeExpiry/,
      },
      "fails on the first node only: its tasks run on the other, once each": { prep: { commandLine: "FIRST" }, ran: true, prepRuns: 1, event: "JobPreparationTaskFailed", elsewhere: true },
      "fails without waitForSuccess: the tasks run anyway": { prep: { commandLine: "exit 5", waitForSuccess: false }, ran: true, prepRuns: 1, event: "JobPreparationTaskFailed" },
    };
    await Promise.all(Object.entries(cases).map(async ([name, tc], c) => {
      const job = `out-${c}`;
      const log = join(dir, `${job}.log`);
      const { commandLine, ...prep } = tc.prep as { commandLine: string };
      // The first node to prepare takes the lock and fails; the other succeeds.
      const command = commandLine === "FIRST" ? `if mkdir ${join(dir, `${job}.lock`)}; then exit 5; fi` : commandLine;
      // The tasks first, then their job: the scheduler places them all in one plan, on both nodes.
      await k.createMany("Task", Array.from({ length: n }, (_, i) => ({ name: `${job}-${i}`, labels: { job }, spec: { jobName: job, commandLine: `/bin/sh -c "${mark(log, "task")}"` } })));
      await k.create("Job", job, { poolInfo: { poolId: "q" }, jobPreparationTask: { commandLine: `/bin/sh -c "${mark(log, "prep", "p")}; ${command}"`, ...prep } });
      const nodes = new Set<string>();
      if (tc.ran) {
        const tasks = await completed(job, n, 120_000);
        for (const t of tasks) {
          const info = t.status?.executionInfo;
          assert.equal(info?.result, "Success", `${name}: ${t.metadata.name}: ${JSON.stringify(t.status)}`);
          assert.equal(info?.requeueCount ?? 0, 0, `${name}: a task given back unrun is not requeued`);
          nodes.add(t.status!.nodeInfo!.nodeId!);
        }
        if (tc.elsewhere) {
          const bad = [...new Set(tasks.flatMap((t) => t.status?.preparationFailedNodes ?? []))];
          assert.equal(bad.length, 1, `${name}: the tasks given back name the node that failed: ${JSON.stringify(tasks.map((t) => t.status?.preparationFailedNodes))}`);
          assert.ok(!nodes.has(bad[0]!), `${name}: no task completed on ${bad[0]}`);
          nodes.add(bad[0]!);
          assert.equal(nodes.size, 2, name);
        }
      } else {
        // Every node failed it: each task is given back and waits, naming why.
        const tasks = await eventually(`${name}: the tasks wait, saying why`, 120_000, async () => {
          const list = await k.tasks(`job=${job}`);
          const waiting = list.filter((t) => (t.status?.state ?? "Active") === "Active" && !t.metadata.labels?.["kubatch.dev/node"] && t.status?.conditions?.some((x) => x.type === "Schedulable" && x.reason === "JobPreparationTaskFailed"));
          return waiting.length === n ? waiting : undefined;
        }, async () => JSON.stringify((await k.tasks(`job=${job}`)).map((t) => [t.metadata.name, t.metadata.labels?.["kubatch.dev/node"], t.status])));
        for (const t of tasks) {
          assert.match(t.status?.conditions?.find((x) => x.type === "Schedulable")?.message ?? "", /failed on every node of the pool/, name);
          assert.equal(t.status?.executionInfo?.requeueCount ?? 0, 0, `${name}: never started, not requeued`);
          for (const node of t.status?.preparationFailedNodes ?? []) nodes.add(node);
        }
        assert.equal(nodes.size, 2, `${name}: the tasks were given back by both nodes: ${[...nodes].join(", ")}`);
        // A task added later goes to neither node either.
        await k.create("Task", `${job}-late`, { jobName: job, commandLine: `/bin/sh -c "${mark(log, "task")}"` }, { job });
        const late = await eventually(`${name}: the late task says why it waits`, 30_000, async () => {
          const t = await k.task(`${job}-late`);
          return t.status?.conditions?.some((x) => x.reason === "JobPreparationTaskFailed") ? t : undefined;
        }, async () => JSON.stringify((await k.task(`${job}-late`)).status));
        assert.equal(late.metadata.labels?.["kubatch.dev/node"], undefined, `${name}: not assigned to a node whose preparation failed`);
      }
      const l = lines(log);
      assert.equal(l.filter((x) => x.what === "task").length, tc.ran ? n : 0, `${name}: each task's command ran ${tc.ran ? "once" : "never"}`);
      for (const node of nodes) assert.equal(l.filter((x) => x.what === "prep" && x.node === node).length, tc.prepRuns, `${name}: ${node} ran the preparation once for all its tasks (with retries)`);
      const failedOn = tc.elsewhere ? 1 : nodes.size;
      const events = await eventually(`${name}: the agents' events`, 30_000, async () => {
        const r = await reports(job);
        return r.get(tc.event)?.length === failedOn ? r : undefined;
      }, async () => JSON.stringify([...(await reports(job))]));
      assert.equal(events.get(tc.event)?.length, failedOn, name);
      if (tc.eventMessage) {
        const list = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: ns.name, fieldSelector: `involvedObject.name=${job},reason=${tc.event}` });
        for (const e of list.items) assert.match(e.message ?? "", tc.eventMessage, name);
      }
    }));
  });

  // Azure Batch, TaskState preparing: "The Task has been assigned to a Compute Node, but is
  // waiting for a required Job Preparation Task to complete on the Compute Node."
  test("a task waiting on its node for the job preparation task is Preparing, then runs", { timeout: 120_000 }, async () => {
    await k.create("Job", "slowprep", { poolInfo: { poolId: "p" }, jobPreparationTask: { commandLine: "sleep 6" } });
    await k.create("Task", "slowprep-t", { jobName: "slowprep", commandLine: "/bin/true" });
    const preparing = await eventually("task slowprep-t Preparing", 30_000, async () => {
      const t = await k.task("slowprep-t");
      return t.status?.state === "Preparing" ? t : undefined;
    }, async () => JSON.stringify((await k.task("slowprep-t")).status));
    assert.match(preparing.status?.nodeInfo?.nodeId ?? "", /^p-dedicated-/, "on the node it waits on");
    assert.equal(preparing.status?.previousState, "Active");
    // Counted as running, as Azure's task counts do (the job's counts follow within ~200 ms).
    await eventually("job slowprep counts the Preparing task as running", 5_000, async () => ((await k.job("slowprep")).status?.taskCounts?.running === 1 ? true : undefined));
    const done = await eventually("task slowprep-t Completed", 60_000, async () => {
      const t = await k.task("slowprep-t");
      return t.status?.state === "Completed" ? t : undefined;
    });
    assert.equal(done.status?.executionInfo?.result, "Success");
  });
});
