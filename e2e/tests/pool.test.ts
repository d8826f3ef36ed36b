// Pools against the real local control plane and the operator (make test deploys it):
// node Deployments, start tasks with resource files from Azurite, node states, resize,
// invalid specs and deletion.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BlobServiceClient } from "@azure/storage-blob";
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type CoreV1Event, type KubeConfig } from "@kubernetes/client-node";
import type { PoolStatus } from "../../api/pool.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { autoStorageSecret, deployLocal } from "../../local-cluster/deploy-local.ts";
import { clusterPaths } from "../../local-cluster/state.ts";
import { kubeConfig, kubectl, localCluster, noCluster } from "./support/cluster.ts";
import { Kubatch } from "./support/kubatch.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { testNamespace } from "./support/namespace.ts";

const azurite = process.env.AZURITE_CONNECTION_STRING;
const skip = noCluster ?? (azurite ? undefined : "AZURITE_CONNECTION_STRING is not set: run through `make test`");
const pools = { group: "kubatch.dev", version: "v1alpha1", plural: "pools" };

describe("pools", { skip }, () => {
  let kc: KubeConfig;
  let ns: { name: string; remove: () => Promise<void> };
  let custom: CustomObjectsApi;
  let core: CoreV1Api;
  let apps: AppsV1Api;

  before(async () => {
    kc = kubeConfig();
    custom = kc.makeApiClient(CustomObjectsApi);
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    ns = await testNamespace(kc, "pools");
    await core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: autoStorageSecret }, stringData: { connectionString: azurite! } } });
    await core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: "storage" }, stringData: { connectionString: azurite! } } });
    const container = BlobServiceClient.fromConnectionString(azurite!).getContainerClient(`tools-${ns.name}`);
    await container.createIfNotExists();
    const wrapper = "#!/bin/sh\necho wrapped \"$@\"\n";
    await container.getBlockBlobClient("tesseract-wrapper").upload(wrapper, wrapper.length);
  });
  after(() => ns.remove());

  const createPool = (name: string, spec: object) =>
    custom.createNamespacedCustomObject({ ...pools, namespace: ns.name, body: { apiVersion: "kubatch.dev/v1alpha1", kind: "Pool", metadata: { name }, spec } });
  const readPool = async (name: string) => (await custom.getNamespacedCustomObject({ ...pools, namespace: ns.name, name })) as { metadata: { generation: number }; status?: PoolStatus };
  const condition = (status: PoolStatus | undefined, type: string) => status?.conditions?.find((c) => c.type === type);
  const describePool = (name: string) => async () => JSON.stringify((await readPool(name)).status);
  const events = async (name: string): Promise<CoreV1Event[]> =>
    (await core.listNamespacedEvent({ namespace: ns.name, fieldSelector: `involvedObject.kind=Pool,involvedObject.name=${name}` })).items;

  test("start tasks prepare every node from blob storage: 3 Idle nodes, each with the files in its shared folder", async () => {
    await createPool("ocr", {
      vmSize: "small",
      targetDedicatedNodes: 3,
      nodeDeallocationOption: "TaskCompletion",
      startTask: {
        commandLine: `/bin/sh -c "cp tools/tesseract-wrapper $AZ_BATCH_NODE_SHARED_DIR/ && $AZ_BATCH_NODE_SHARED_DIR/tesseract-wrapper on $AZ_BATCH_NODE_ID"`,
        resourceFiles: [{ autoStorageContainerName: `tools-${ns.name}`, filePath: "tools", fileMode: "0755" }],
      },
    });
    const status = await eventually("pool ocr Ready", 90_000, async () => {
      const s = (await readPool("ocr")).status;
      return condition(s, "Ready")?.status === "True" ? s : undefined;
    }, describePool("ocr"));
    assert.equal(status.currentDedicatedNodes, 3);
    assert.equal(status.allocationState, "Steady");
    assert.equal(status.nodeCounts?.idle, 3);
    // One task pinned to each node reads the node's shared folder.
    const k = new Kubatch(kc, ns.name);
    await k.create("Job", "look", { poolInfo: { poolId: "ocr" } });
    for (const node of status.nodes ?? []) {
      assert.equal(node.state, "Idle");
      assert.equal(node.startTaskInfo?.result, "Success");
      assert.equal(node.startTaskInfo?.exitCode, 0);
      const { stdout } = await kubectl("-n", ns.name, "logs", node.name, "-c", "start-task");
      assert.match(stdout, new RegExp(`wrapped on ${node.name}`));
      await k.create("Task", `look-${node.name}`, { jobName: "look", commandLine: `/bin/sh -c "cat $AZ_BATCH_NODE_SHARED_DIR/tesseract-wrapper"`, affinityInfo: { affinityId: node.name } });
    }
    for (const node of status.nodes ?? []) {
      const t = await eventually(`look-${node.name}`, 60_000, async () => {
        const x = await k.task(`look-${node.name}`);
        return x.status?.state === "Completed" ? x : undefined;
      });
      assert.equal(t.status?.nodeInfo?.nodeId, node.name);
      assert.equal(t.status?.stdoutTail, '#!/bin/sh\necho wrapped "$@"\n');
    }
    const dep = await apps.readNamespacedDeployment({ name: "ocr-dedicated", namespace: ns.name });
    assert.equal(dep.metadata?.ownerReferences?.[0]?.kind, "Pool");
    assert.equal(dep.metadata?.ownerReferences?.[0]?.controller, true);
    assert.equal(status.selector, "kubatch.dev/pool=ocr,kubatch.dev/node-type=dedicated");
  });

  test("scaling 3→1 under TaskCompletion keeps the busy node and removes the idle ones; scaling to 0 drains it", async () => {
    const k = new Kubatch(kc, ns.name);
    await k.create("Job", "long", { poolInfo: { poolId: "ocr" } });
    await k.create("Task", "long-1", { jobName: "long", commandLine: "sleep 6" });
    const busy = await eventually("the long task running", 30_000, async () => {
      const t = await k.task("long-1");
      return t.status?.state === "Running" ? t.status.nodeInfo!.nodeId! : undefined;
    });
    await kubectl("-n", ns.name, "scale", "kpool/ocr", "--replicas=1");
    const one = await eventually("only the busy node left", 60_000, async () => {
      const s = (await readPool("ocr")).status;
      return s?.nodeCounts?.total === 1 ? s : undefined;
    }, describePool("ocr"));
    assert.equal(one.nodes?.[0]?.name, busy, "the busy node stayed");
    assert.equal((await k.task("long-1")).status?.state, "Running", "its task still runs");
    await kubectl("-n", ns.name, "scale", "kpool/ocr", "--replicas=0");
    const leaving = await eventually("the busy node leaving", 30_000, async () => {
      const s = (await readPool("ocr")).status;
      return s?.nodes?.[0]?.state === "LeavingPool" ? s : undefined;
    }, describePool("ocr"));
    assert.equal(leaving.nodes?.[0]?.name, busy);
    await eventually("the node gone after its task", 60_000, async () => ((await readPool("ocr")).status?.nodeCounts?.total === 0 ? true : undefined), describePool("ocr"));
    const t = await k.task("long-1");
    assert.equal(t.status?.executionInfo?.result, "Success", "the task was not killed");
    assert.equal(t.status?.executionInfo?.requeueCount, 0);
  });

  test("an operator killed in the middle of a resize converges with no extra or orphaned pods", { skip: localCluster() ? undefined : "needs the embedded cluster's operator" }, async () => {
    const paths = clusterPaths();
    const { pid } = JSON.parse(readFileSync(join(paths.clusterDir, "operator.json"), "utf8")) as { pid: number };
    await kubectl("-n", ns.name, "scale", "kpool/ocr", "--replicas=3");
    process.kill(pid, "SIGKILL");
    await deployLocal({ paths, log: () => {} });
    const status = await eventually("3 idle nodes again", 90_000, async () => {
      const s = (await readPool("ocr")).status;
      return s?.nodeCounts?.idle === 3 && s.allocationState === "Steady" ? s : undefined;
    }, describePool("ocr"));
    const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: "kubatch.dev/pool=ocr" });
    assert.equal(pods.items.filter((p) => !p.metadata?.deletionTimestamp).length, 3);
    assert.deepEqual(new Set(pods.items.map((p) => p.metadata?.name)), new Set(status.nodes?.map((n) => n.name)));
    const deployments = await apps.listNamespacedDeployment({ namespace: ns.name, labelSelector: "kubatch.dev/pool=ocr" });
    assert.equal(deployments.items.length, 1);
  });

  test("with waitForSuccess false a failing start task does not hold the nodes back, and each node reports it: retries, exit code, stderr", { timeout: 120_000 }, async () => {
    await createPool("eager", { vmSize: "small", targetDedicatedNodes: 2, startTask: { commandLine: `/bin/sh -c "echo the mirror is down >&2; exit 6"`, waitForSuccess: false, maxTaskRetryCount: 1 } });
    const status = await eventually("2 idle nodes", 60_000, async () => {
      const s = (await readPool("eager")).status;
      return s?.nodeCounts?.idle === 2 ? s : undefined;
    }, describePool("eager"));
    assert.equal(condition(status, "Ready")?.status, "True");
    // Retried once (a second after the first failure), then reported by each node's agent on its pod.
    const reported = await eventually("both nodes' start task completed", 60_000, async () => {
      const s = (await readPool("eager")).status;
      return s?.nodes?.length === 2 && s.nodes.every((n) => n.startTaskInfo?.state === "Completed") ? s : undefined;
    }, describePool("eager"));
    for (const node of reported.nodes!) {
      const info = node.startTaskInfo!;
      assert.deepEqual([node.state, info.exitCode, info.retryCount, info.result, info.failureInfo?.code], ["Idle", 6, 1, "Failure", "FailureExitCode"], node.name);
      assert.match(info.failureInfo?.message ?? "", /exited with code 6: the mirror is down/);
      assert.ok(Date.parse(info.endTime!) >= Date.parse(info.startTime!), `${info.startTime} → ${info.endTime}`);
    }
    assert.notEqual(condition(reported, "Degraded")?.reason, "StartTaskFailed", "a start task without waitForSuccess does not degrade the pool");
  });

  test("a failing start task marks the node StartTaskFailed with its exit code and output", async () => {
    await createPool("broken", {
      vmSize: "small",
      targetDedicatedNodes: 1,
      startTask: { commandLine: `/bin/sh -c "echo tesseract is missing >&2; exit 7"`, maxTaskRetryCount: 1 },
    });
    const status = await eventually("StartTaskFailed", 90_000, async () => {
      const s = (await readPool("broken")).status;
      return s?.nodes?.[0]?.state === "StartTaskFailed" ? s : undefined;
    }, describePool("broken"));
    const info = status.nodes![0]!.startTaskInfo!;
    assert.equal(info.exitCode, 7);
    assert.equal(info.result, "Failure");
    assert.match(info.failureInfo?.message ?? "", /tesseract is missing/);
    const degraded = condition(status, "Degraded");
    assert.equal(degraded?.status, "True");
    assert.equal(degraded?.reason, "StartTaskFailed");
    assert.equal(condition(status, "Ready")?.status, "False");
    await eventually("a StartTaskFailed event", 10_000, async () => ((await events("broken")).some((e) => e.reason === "StartTaskFailed" && e.type === "Warning") ? true : undefined));
  });

  test("a resource file that cannot be downloaded fails the node, naming the file", async () => {
    await createPool("nofile", {
      vmSize: "small",
      targetDedicatedNodes: 1,
      startTask: { commandLine: "/bin/true", resourceFiles: [{ httpUrl: "http://127.0.0.1:9/missing.sh", filePath: "missing.sh" }] },
    });
    const status = await eventually("StartTaskFailed", 90_000, async () => {
      const s = (await readPool("nofile")).status;
      return s?.nodes?.[0]?.state === "StartTaskFailed" ? s : undefined;
    }, describePool("nofile"));
    assert.equal(status.nodes![0]!.startTaskInfo?.failureInfo?.code, "ResourceFileDownloadFailed");
    assert.match(status.nodes![0]!.startTaskInfo?.failureInfo?.message ?? "", /resourceFiles\[0\]/);
  });

  test("what the API server cannot refuse becomes an InvalidSpec condition and event naming the field", async () => {
    await createPool("huge", { vmSize: "enormous", targetDedicatedNodes: 1 });
    const ready = await eventually("InvalidSpec", 30_000, async () => {
      const c = condition((await readPool("huge")).status, "Ready");
      return c?.reason === "InvalidSpec" ? c : undefined;
    }, describePool("huge"));
    assert.equal(ready.status, "False");
    assert.match(ready.message, /spec\.vmSize: unknown size "enormous"/);
    // The event is recorded after the status write: give it a moment.
    await eventually("an InvalidSpec event naming spec.vmSize", 10_000, async () => ((await events("huge")).some((e) => e.reason === "InvalidSpec" && /spec\.vmSize/.test(e.message ?? "")) ? true : undefined));
  });

  test("a node image that cannot be pulled is a Degraded pool naming the image, with an event", async () => {
    // No registry is reachable from the local node: the pull fails at once.
    const image = "docker.io/kubatch/no-such-image:1";
    await createPool("nopull", { vmSize: "small", targetDedicatedNodes: 1, image });
    const degraded = await eventually("Degraded NodeImagePullFailed", 60_000, async () => {
      const c = condition((await readPool("nopull")).status, "Degraded");
      return c?.reason === "NodeImagePullFailed" ? c : undefined;
    }, describePool("nopull"));
    assert.equal(degraded.status, "True");
    assert.ok(degraded.message.includes(image), degraded.message);
    const node = (await readPool("nopull")).status?.nodes?.[0];
    assert.equal(node?.state, "Unusable");
    assert.equal(node?.errors?.[0]?.code, "ImagePullFailed");
    await eventually("a NodeImagePullFailed event naming the image", 10_000, async () => ((await events("nopull")).some((e) => e.reason === "NodeImagePullFailed" && (e.message ?? "").includes(image)) ? true : undefined));
    await custom.deleteNamespacedCustomObject({ ...pools, namespace: ns.name, name: "nopull" });
  });

  // What README's first "Using it" met: a node pod that cannot start for want of a Secret.
  const brokenNodes: Record<string, { spec: object; reason: string; code: string; message: RegExp; ms: number }> = {
    "a missing Secret": {
      spec: { startTask: { commandLine: "/bin/true", resourceFiles: [{ storageContainerUrl: "http://127.0.0.1:9/devstoreaccount1/x", credentialsSecretRef: { name: "no-such-secret" } }] } },
      reason: "NodeContainerFailed",
      code: "ContainerConfigError",
      message: /container fetch, image \S+: CreateContainerConfigError: secret "no-such-secret" not found/,
      ms: 60_000,
    },
    // The kubelet's back-off: crashes at about 0, 10 and 30 s.
    "a tasks container in a crash loop": {
      spec: { podTemplate: { spec: { containers: [{ name: "tasks", args: ["no-such-mode"] }] } } },
      reason: "NodeContainerFailed",
      code: "ContainerCrashLoop",
      message: /container tasks, image \S+: CrashLoopBackOff after \d+ restarts; last exit 2 \(Error\): usage: task-runner/,
      ms: 120_000,
    },
  };
  for (const [what, tc] of Object.entries(brokenNodes)) {
    test(`${what}: the node is Unusable (${tc.code}), the pool Degraded with the pod's message and a Warning event`, { timeout: tc.ms + 30_000 }, async () => {
      const name = tc.code.toLowerCase();
      await createPool(name, { vmSize: "small", targetDedicatedNodes: 1, ...tc.spec });
      const degraded = await eventually(`Degraded ${tc.reason}`, tc.ms, async () => {
        const c = condition((await readPool(name)).status, "Degraded");
        return c?.status === "True" && c.reason === tc.reason ? c : undefined;
      }, describePool(name));
      assert.match(degraded.message, tc.message);
      const node = (await readPool(name)).status?.nodes?.[0];
      assert.equal(node?.state, "Unusable");
      assert.equal(node?.errors?.[0]?.code, tc.code);
      assert.equal(condition((await readPool(name)).status, "Ready")?.status, "False");
      await eventually(`a Warning event ${tc.reason}`, 10_000, async () => ((await events(name)).some((e) => e.type === "Warning" && e.reason === tc.reason && tc.message.test(e.message ?? "")) ? true : undefined));
      await custom.deleteNamespacedCustomObject({ ...pools, namespace: ns.name, name });
    });
  }

  test("the API server refuses a pool with two size sources, naming the rule", async () => {
    await assert.rejects(createPool("both", { vmSize: "small", resources: { requests: { cpu: "1" } } }), /exactly one of vmSize, resources/);
  });

  test("deleting a pool removes its nodes, then the pool", async () => {
    await custom.deleteNamespacedCustomObject({ ...pools, namespace: ns.name, name: "ocr" });
    await eventually("pool ocr and its pods gone", 60_000, async () => {
      const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: "kubatch.dev/pool=ocr" });
      const pool = await readPool("ocr").catch(() => undefined);
      return pods.items.length === 0 && pool === undefined ? true : undefined;
    });
  });
});
