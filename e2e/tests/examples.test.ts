// examples/*.yaml run as a user would run them: `kubectl apply -f examples/` in a namespace of
// their own with nothing set up first; the pool's nodes start, the job runs the collection's
// 100 items and then the task that depends on them, and ends; the work item's first job runs
// its job manager and ends; `kubectl delete -f examples/` removes everything.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { eventually } from "../../local-cluster/probe.ts";
import { kubeConfig, kubectlPath, noCluster } from "./support/cluster.ts";
import { testNamespace } from "./support/namespace.ts";
import { run, show } from "./support/run.ts";

const root = join(import.meta.dirname, "..", "..");
const examples = join(root, "examples");
const kubatchBin = join(root, "bin", "kubatch");

type Obj = { metadata: { name: string }; status?: Record<string, unknown> & { state?: string; counts?: Record<string, number>; taskCounts?: Record<string, number> } };

describe("examples/", { skip: noCluster }, () => {
  let ns: { name: string; remove: () => Promise<void> };
  let custom: CustomObjectsApi;
  const kubectl = (args: string[], ms = 60_000) => run(kubectlPath(), [...args, "-n", ns.name], ms);
  const kubatch = (args: string[], ms = 60_000) => run(kubatchBin, [...args, "-n", ns.name], ms);
  const get = (plural: string, name: string) => custom.getNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", plural, namespace: ns.name, name }) as Promise<Obj>;

  before(async () => {
    const kc = kubeConfig();
    custom = kc.makeApiClient(CustomObjectsApi);
    ns = await testNamespace(kc, "examples");
  });
  after(() => ns.remove());

  test("kubectl apply -f examples/ runs every manifest to completion; kubectl delete -f examples/ removes them", { timeout: 420_000 }, async () => {
    const applied = await kubectl(["apply", "-f", examples]);
    assert.equal(applied.code, 0, show(applied));
    for (const o of ["job.kubatch.dev/example", "pool.kubatch.dev/example", "taskcollection.kubatch.dev/pages", "task.kubatch.dev/summary", "workitem.kubatch.dev/example-nightly"]) {
      assert.match(applied.stdout, new RegExp(`^${o.replace(/\./g, "\\.")} created$`, "m"));
    }

    const wait = await kubatch(["job", "wait", "example", "--timeout", "300s", "--interval", "2s"], 320_000);
    assert.equal(wait.code, 0, show(wait));
    assert.match(wait.stdout, /^job example: all 101 tasks completed in .*: 101 succeeded, 0 failed$/m);
    // The job's own status follows its tasks' within moments (TerminateJob).
    await eventually("job example Completed", 30_000, async () => ((await get("jobs", "example")).status?.state === "Completed" ? true : undefined));
    const pages = await get("taskcollections", "pages");
    assert.equal(pages.status?.state, "Completed");
    assert.deepEqual(pages.status?.counts, { active: 0, running: 0, succeeded: 100, failed: 0 });
    const summary = await get("tasks", "summary");
    assert.equal(summary.status?.state, "Completed");
    assert.equal((summary.status?.executionInfo as { result?: string } | undefined)?.result, "Success");
    const out = await kubatch(["task", "output", "summary"]);
    assert.equal(out.code, 0, show(out));
    assert.match(out.stdout, /^hello, all 100 pages are done\nprepared by the start task of example-dedicated-\S+\n$/);

    // The work item's first run: its job manager is the whole job.
    const nightly = await eventually("example-nightly-job-0000000001 Completed", 120_000, async () => {
      const j = await get("jobs", "example-nightly-job-0000000001").catch(() => undefined);
      return j?.status?.state === "Completed" ? j : undefined;
    });
    assert.equal(nightly.status?.taskCounts?.failed ?? 0, 0, JSON.stringify(nightly.status));
    assert.equal(nightly.status?.taskCounts?.succeeded, 1, JSON.stringify(nightly.status));

    // Every condition of every kind says which generation it was set for.
    const all = await kubectl(["get", "kubatch", "-o", "json"]);
    const items = (JSON.parse(all.stdout) as { items: { kind: string; metadata: { name: string; generation: number }; status?: { conditions?: { type: string; observedGeneration?: number }[] } }[] }).items;
    const kinds = new Set(items.filter((o) => (o.status?.conditions ?? []).length > 0).map((o) => o.kind));
    for (const kind of ["Job", "Pool", "Task", "TaskCollection", "WorkItem"]) assert.ok(kinds.has(kind), `no ${kind} with conditions (kinds with conditions: ${[...kinds].join(", ")})`);
    const unset = items.flatMap((o) => (o.status?.conditions ?? []).filter((c) => typeof c.observedGeneration !== "number" || c.observedGeneration > o.metadata.generation).map((c) => `${o.kind}/${o.metadata.name} ${c.type}`));
    assert.deepEqual(unset, [], "conditions without an observedGeneration (or one ahead of the object's)");

    const deleted = await kubectl(["delete", "--ignore-not-found", "-f", examples, "--timeout", "120s"], 150_000);
    assert.equal(deleted.code, 0, show(deleted));
    const left = await kubectl(["get", "kubatch", "-o", "name"]);
    assert.equal(left.code, 0, show(left));
    assert.equal(left.stdout.trim(), "", "every kubatch object is gone, the jobs' tasks and chunks with them");
  });
});
