// The operator installed by the Helm chart — two replicas with leader election, from the
// locally built image, under the chart's RBAC and security context on the real node — runs
// the OCR sample. The harness's own operator steps aside meanwhile and comes back afterwards.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { AppsV1Api, CoreV1Api } from "@kubernetes/client-node";
import { jobWait } from "../../cli/job-wait.ts";
import { deployLocal, type LocalOperator } from "../../local-cluster/deploy-local.ts";
import { isAlive } from "../../local-cluster/processes.ts";
import { clusterPaths } from "../../local-cluster/state.ts";
import { runOcrDemo } from "../demo/ocr-demo.ts";
import { chartDir, helm, helmForTests, setArgs } from "../helm/chart.ts";
import { show } from "./support/run.ts";
import { kubeConfig, kubectl, localCluster } from "./support/cluster.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { testNamespace } from "./support/namespace.ts";

const azurite = process.env.AZURITE_CONNECTION_STRING;
const skip = !localCluster() ? "needs the embedded local cluster" : !azurite ? "AZURITE_CONNECTION_STRING is not set" : undefined;

test("helm install brings the operator up from the chart and the OCR sample runs against it", { skip, timeout: 400_000 }, async (t) => {
  const tool = await helmForTests();
  if (!tool.helm) return t.skip(tool.skip);
  const kc = kubeConfig();
  const paths = clusterPaths();
  const system = await testNamespace(kc, "kubatch-system");
  const work = await testNamespace(kc, "ocr-chart");
  const harness = JSON.parse(readFileSync(join(paths.clusterDir, "operator.json"), "utf8")) as LocalOperator;
  process.kill(harness.pid, "SIGTERM");
  await eventually("the harness operator to stop", 30_000, async () => (isAlive(harness.pid) ? undefined : true));
  try {
    const install = await helm(tool.helm, [
      "install", "kubatch", chartDir, "-n", system.name, "--wait", "--timeout", "120s",
      ...setArgs({ "crds.install": false, replicas: 2, "leaderElection.enabled": true, "config.autoStorage.name": "kubatch-auto-storage", "config.autoStorage.key": "connectionString", "config.autoscale.samplePeriod": "1s" }),
    ], 180_000);
    assert.equal(install.code, 0, show(install));
    const core = kc.makeApiClient(CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: system.name, labelSelector: "app.kubernetes.io/name=kubatch" });
    assert.equal(pods.items.length, 2, "two replicas side by side (no host ports to collide)");
    for (const p of pods.items) {
      assert.equal(p.status?.phase, "Running", p.metadata?.name);
      // The chart's security context, enforced by the kubelet and runc.
      const uid = await kubectl("exec", "-n", system.name, p.metadata!.name!, "--", "id", "-u");
      assert.equal(uid.stdout.trim(), "65532", "not root");
      const write = await kubectl("exec", "-n", system.name, p.metadata!.name!, "--", "sh", "-c", "touch /opt/kubatch/written 2>&1; echo exit=$?").catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? "" }));
      assert.match(write.stdout, /Read-only file system[\s\S]*exit=1/, "the root filesystem is read-only");
    }
    const holder = await eventually("one replica holds the lease", 60_000, async () => {
      const { stdout } = await kubectl("get", "leases", "-n", system.name, "-o", "jsonpath={.items[*].spec.holderIdentity}");
      return stdout.trim() || undefined;
    });
    assert.ok(pods.items.some((p) => holder.startsWith(p.metadata!.name!)), `lease held by ${holder}`);
    const pod = pods.items.find((p) => holder.startsWith(p.metadata!.name!))!;
    assert.match(pod.spec?.serviceAccountName ?? "", /kubatch/);
    let waitCode: number | undefined;
    const result = await runOcrDemo({
      kubeConfig: kc,
      namespace: work.name,
      connectionString: azurite!,
      log: () => {},
      waitForJob: async (job) => void (waitCode = await jobWait([job, "-n", work.name, "--timeout", "4m"])),
    });
    assert.equal(waitCode, 0);
    for (const x of result.tasks) assert.equal(x.result, "Success", `${x.image}: ${x.stderrTail}`);
    // The pool's node agents run as the image's non-root user too.
    const nodes = await core.listNamespacedPod({ namespace: work.name, labelSelector: "app.kubernetes.io/name=kubatch-node" });
    const agentUid = await kubectl("exec", "-n", work.name, nodes.items[0]!.metadata!.name!, "-c", "agent", "--", "id", "-u");
    assert.equal(agentUid.stdout.trim(), "65532");
    assert.equal(result.resultBlobs, result.tasks.length);
    const logs = await core.readNamespacedPodLog({ name: pod.metadata!.name!, namespace: system.name });
    assert.doesNotMatch(logs, /forbidden/i, "the chart's RBAC covers what the operator does");

    // The chart README's uninstall order: with the operator gone, a Pool's finalizer holds its
    // deletion until released by hand; then its node Deployments go by garbage collection.
    const uninstall = await helm(tool.helm, ["uninstall", "kubatch", "-n", system.name, "--wait", "--timeout", "60s"], 90_000);
    assert.equal(uninstall.code, 0, show(uninstall));
    await kubectl("delete", "pools.kubatch.dev", "ocr-pool", "-n", work.name, "--wait=false");
    await new Promise((r) => setTimeout(r, 3_000));
    const stuck = await kubectl("get", "pools.kubatch.dev", "ocr-pool", "-n", work.name, "-o", "jsonpath={.metadata.deletionTimestamp} {.metadata.finalizers}");
    assert.match(stuck.stdout, /^\S+ \["kubatch\.dev\/pool-nodes"\]$/, "deleting waits on the finalizer");
    await kubectl("patch", "pools.kubatch.dev", "ocr-pool", "-n", work.name, "--type=merge", "-p", '{"metadata":{"finalizers":null}}');
    const apps = kc.makeApiClient(AppsV1Api);
    await eventually("the pool gone and its node Deployments collected", 60_000, async () => {
      const pool = await kubectl("get", "pools.kubatch.dev", "ocr-pool", "-n", work.name, "--ignore-not-found", "-o", "name");
      const deployments = await apps.listNamespacedDeployment({ namespace: work.name });
      return pool.stdout.trim() === "" && deployments.items.length === 0 ? true : undefined;
    });
  } finally {
    await helm(tool.helm, ["uninstall", "kubatch", "-n", system.name, "--wait", "--timeout", "60s", "--ignore-not-found"], 90_000);
    await work.remove();
    await system.remove();
    await deployLocal({ paths, log: () => {} });
  }
});
