// A forced 410: the watch of a cache is told its resourceVersion is too old (what the API
// server streams after etcd compacted past it), and while the watch is broken objects are
// deleted, changed, created and re-created under the same name. The cache (kube/informer.ts,
// which every operator controller and node agent uses) must end equal to a fresh LIST and tell
// its handlers about each difference; a node agent whose watches expire runs each task
// assigned meanwhile exactly once and none deleted meanwhile. The watches go through a proxy
// (support/api-fault-proxy.ts) that injects the 410; the writes go straight to the API server.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, RbacAuthorizationV1Api, type KubeConfig, type V1ConfigMap } from "@kubernetes/client-node";
import { nodeLabel } from "../../api/labels.ts";
import { mergePatch } from "../../kube/apply.ts";
import { forEachBounded } from "../../kube/bounded.ts";
import { Informer, type EventKind } from "../../kube/informer.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { agentsThrough, isWatch, kubeConfigThrough, startFaultProxy, type Fault, type FaultProxy } from "./support/api-fault-proxy.ts";
import { kubeConfig, localCluster, noCluster } from "./support/cluster.ts";
import { hostFolder } from "./support/host-folder.ts";
import { Kubatch } from "./support/kubatch.ts";
import { testNamespace } from "./support/namespace.ts";
import { assertExact, runs, shellTask } from "./support/run-log.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const names = (prefix: string, from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${prefix}-${from + i}`);

describe("watch expiry (410)", { skip: noCluster ?? (localCluster() ? undefined : "needs the embedded cluster (its API server's certificate for the proxy)") }, () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let ns: { name: string; remove: () => Promise<void> };
  let proxy: FaultProxy;
  let proxied: KubeConfig;
  let dir: string;

  before(async () => {
    kc = kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    ns = await testNamespace(kc, "expiry");
    dir = hostFolder("kubatch-expiry-");
    proxy = await startFaultProxy(localCluster()!);
    // The cache under test reads as a ServiceAccount of the namespace, whose token the proxy passes on.
    await core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: "reader" } } });
    await kc.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
      namespace: ns.name,
      body: { metadata: { name: "reader" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" }, subjects: [{ kind: "ServiceAccount", name: "reader", namespace: ns.name }] },
    });
    const token = (await core.createNamespacedServiceAccountToken({ name: "reader", namespace: ns.name, body: { spec: { expirationSeconds: 3600 } } })).status?.token;
    assert.ok(token);
    proxied = kubeConfigThrough(kc, proxy, token, "reader");
  });
  after(async () => {
    await ns.remove();
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  });

  type Case = { watch: Fault; list: Fault };
  const cases: Record<string, Case> = {
    "the watch gets the ERROR event of a compacted resourceVersion; lists work": { watch: "expire-watch", list: "pass" },
    "the watch request is answered 410 Gone and lists fail with 503 until the gap ends": { watch: { status: 410 }, list: { status: 503 } },
  };
  for (const [i, [what, c]] of Object.entries(cases).entries()) {
    test(`${what}: the cache ends equal to a fresh LIST and its handlers hear of every difference`, { timeout: 180_000 }, async (t) => {
      const label = `case=${i}`;
      const prefix = `c${i}`;
      const make = (name: string, data = "1") => core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name, labels: { case: String(i) } }, data: { v: data } } });
      await forEachBounded(names(prefix, 0, 30), 8, (n) => make(n).then(() => undefined));
      const events: { kind: EventKind; name: string; uid: string }[] = [];
      const proxiedCore = proxied.makeApiClient(CoreV1Api);
      const informer = new Informer<V1ConfigMap>({
        kubeConfig: proxied,
        path: `/api/v1/namespaces/${ns.name}/configmaps`,
        labelSelector: label,
        list: () => proxiedCore.listNamespacedConfigMap({ namespace: ns.name, labelSelector: label }),
        onEvent: (kind, obj) => void events.push({ kind, name: obj.metadata!.name!, uid: obj.metadata!.uid! }),
        log: (line) => t.diagnostic(line),
      });
      try {
        await informer.start();
        assert.equal(informer.list(ns.name).length, 30);
        const beforeGap = events.length;
        const faults = { ...proxy.counts.faults };

        // The gap: every watch (and, per case, list) through the proxy fails; the open watch is cut.
        proxy.setRule(({ path }) => (!path.includes(`/namespaces/${ns.name}/configmaps`) ? "pass" : isWatch(path) ? c.watch : c.list));
        proxy.dropConnections();
        const recreated = `${prefix}-20`;
        const oldUid = informer.get(recreated, ns.name)?.metadata?.uid;
        await forEachBounded(names(prefix, 0, 10), 8, (n) => core.deleteNamespacedConfigMap({ name: n, namespace: ns.name }).then(() => undefined));
        await forEachBounded(names(prefix, 10, 20), 8, (n) => core.patchNamespacedConfigMap({ name: n, namespace: ns.name, body: { data: { v: "2" } } }, mergePatch).then(() => undefined));
        await forEachBounded(names(prefix, 30, 40), 8, (n) => make(n).then(() => undefined));
        await core.deleteNamespacedConfigMap({ name: recreated, namespace: ns.name });
        await make(recreated, "new");
        await sleep(5_000);
        const injected = Object.entries(proxy.counts.faults).map(([k, n]) => `${k} × ${n - (faults[k] ?? 0)}`).filter((s) => !s.endsWith("× 0"));
        assert.ok(injected.length > 0, "the proxy injected faults during the gap");
        proxy.setRule(() => "pass");
        const healedAt = Date.now();

        const fresh = await eventually("the cache equal to a fresh LIST", 90_000, async () => {
          const list = (await core.listNamespacedConfigMap({ namespace: ns.name, labelSelector: label })).items;
          const want = new Map(list.map((o) => [o.metadata!.name!, `${o.metadata!.uid}@${o.metadata!.resourceVersion}`]));
          const have = new Map(informer.list(ns.name).map((o) => [o.metadata!.name!, `${o.metadata!.uid}@${o.metadata!.resourceVersion}`]));
          return want.size === have.size && [...want].every(([n, v]) => have.get(n) === v) ? list : undefined;
        }, async () => `cache ${informer.list(ns.name).length} objects`);
        t.diagnostic(`${what}: injected ${injected.join(", ")}; the cache equalled a fresh LIST ${Date.now() - healedAt} ms after the gap ended`);
        assert.equal(fresh.length, 30);

        const heard = events.slice(beforeGap);
        const about = (name: string) => heard.filter((e) => e.name === name).map((e) => e.kind);
        for (const n of names(prefix, 0, 10)) assert.deepEqual(about(n), ["delete"], `${n} deleted in the gap`);
        for (const n of names(prefix, 10, 20)) assert.deepEqual(about(n), ["update"], `${n} changed in the gap`);
        for (const n of names(prefix, 30, 40)) assert.deepEqual(about(n), ["add"], `${n} created in the gap`);
        for (const n of names(prefix, 21, 30)) assert.deepEqual(about(n), [], `${n} unchanged: no event`);
        // Re-created under the same name: the cache holds the new object, and its handlers were told.
        assert.notEqual(informer.get(recreated, ns.name)?.metadata?.uid, oldUid);
        assert.equal(informer.get(recreated, ns.name)?.data?.v, "new");
        assert.ok(heard.some((e) => e.name === recreated && e.uid !== oldUid), `${recreated}: the new object was heard of (${JSON.stringify(about(recreated))})`);
      } finally {
        proxy.setRule(() => "pass");
        await informer.stop();
      }
    });
  }

  test("a node agent whose watches expire runs each task assigned in the gap once, and none deleted in the gap", { timeout: 300_000 }, async (t) => {
    const k = new Kubatch(kc, ns.name);
    const log = join(dir, "agent.log");
    await k.warmPool("expiring", 1, {
      taskSlotsPerNode: 4,
      podTemplate: {
        spec: {
          volumes: [{ name: "host-folder", hostPath: { path: dir, type: "Directory" } }],
          containers: [
            { name: "agent", volumeMounts: [{ name: "host-folder", mountPath: dir }], env: agentsThrough(proxy) },
            { name: "tasks", volumeMounts: [{ name: "host-folder", mountPath: dir }] },
          ],
        },
      },
    });
    await k.create("Job", "gap", { poolInfo: { poolId: "expiring" } });
    await k.createMany("Task", names("before", 0, 4).map((name) => ({ name, labels: { job: "gap" }, spec: { jobName: "gap", commandLine: shellTask(log, "true") } })));
    await eventually("the tasks before the gap completed", 60_000, async () => ((await k.tasks("job=gap")).every((x) => x.status?.state === "Completed") ? true : undefined));

    // The agent's watches of kubatch objects expire and its reads of them fail until the gap
    // ends, so it cannot learn of anything meanwhile; the operator, not proxied, goes on assigning.
    proxy.setRule(({ method, path }) => (method !== "GET" || !path.includes("/apis/kubatch.dev/") ? "pass" : isWatch(path) ? "expire-watch" : { status: 503 }));
    proxy.dropConnections();
    // A task the agent should never start: assigned to its node while the agent's watch was
    // down, then deleted before the agent could list it.
    await k.create("Task", "dropped", { jobName: "gap", commandLine: shellTask(log, "true") }, { job: "gap" });
    await eventually("dropped assigned", 30_000, async () => ((await k.task("dropped")).metadata.labels?.[nodeLabel] ? true : undefined));
    await k.custom.deleteNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", namespace: ns.name, plural: "tasks", name: "dropped" });
    await k.createMany("Task", names("during", 0, 12).map((name) => ({ name, labels: { job: "gap" }, spec: { jobName: "gap", commandLine: shellTask(log, "sleep 0.5") } })));
    await sleep(8_000);
    const expired = proxy.counts.faults["expire-watch"] ?? 0;
    assert.deepEqual(runs(log).filter((r) => r.task.startsWith("during-") || r.task === "dropped"), [], "nothing made in the gap ran in it");
    proxy.setRule(() => "pass");
    const healedAt = Date.now();

    const tasks = await eventually("16 tasks of gap completed", 120_000, async () => {
      const all = await k.tasks("job=gap");
      return all.length === 16 && all.every((x) => x.status?.state === "Completed") ? all : undefined;
    }, async () => JSON.stringify((await k.job("gap")).status?.taskCounts));
    t.diagnostic(`agent: ${expired} watches expired in the gap; the 12 tasks made in it completed ${Date.now() - healedAt} ms after it ended`);
    for (const x of tasks) assert.equal(x.status?.executionInfo?.result, "Success", x.metadata.name);
    assertExact(log, tasks);
    assert.equal(runs(log).length, 16, "each task started once, the deleted one never");
    assert.ok(!runs(log).some((r) => r.task === "dropped"), "the task deleted in the gap never ran");
    assert.ok(expired > 0, "the agent's watches were told their resourceVersion expired");
  });
});
