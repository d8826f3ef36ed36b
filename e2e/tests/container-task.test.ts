// Container tasks (spec.containerSettings) against the real local control plane, process node
// and operator: each attempt is a Pod owned by its Task, beside agent tasks of the same job.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { CoreV1Api, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import type { TaskStatus } from "../../api/task.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { kubeConfig, noCluster } from "./support/cluster.ts";
import { Kubatch, type Obj } from "./support/kubatch.ts";
import { testNamespace } from "./support/namespace.ts";
import { localImages } from "../../local-cluster/images/build.ts";

const azurite = process.env.AZURITE_CONNECTION_STRING;
const skip = noCluster ?? (azurite ? undefined : "AZURITE_CONNECTION_STRING is not set: run through `make test`");

type Case = {
  spec: (urls: { input: string; output: string }) => Record<string, unknown>;
  check: (task: Obj<TaskStatus>, pods: V1Pod[], blobs: ContainerClient, read: (task: string) => Promise<Obj<TaskStatus>>) => Promise<void> | void;
};

const storage = { name: "storage", key: "connectionString" };
// The local cluster's busybox (local-cluster/images): no registry to pull from.
const busybox = { imageName: localImages.busybox };

const cases: Record<string, Case> = {
  "exit 0: resource file in, output file out, AZ_BATCH_* and the job's environment": {
    spec: ({ input, output }) => ({
      containerSettings: busybox,
      commandLine: `/bin/sh -c "cat in/greeting.txt > result.txt && echo id=$AZ_BATCH_TASK_ID common=$COMMON own=$OWN wd=$(pwd)"`,
      environmentSettings: [{ name: "OWN", value: "mine" }],
      resourceFiles: [{ storageContainerUrl: input, credentialsSecretRef: storage, filePath: "in" }],
      outputFiles: [
        { filePattern: "result.txt", destination: { container: { containerUrl: output, path: "c0/result.txt", credentialsSecretRef: storage } }, uploadOptions: { uploadCondition: "TaskSuccess" } },
        { filePattern: "../stdout.txt", destination: { container: { containerUrl: output, path: "c0/stdout.txt", credentialsSecretRef: storage } } },
        { filePattern: "result.txt", destination: { container: { containerUrl: output, path: "c0/not-on-success.txt", credentialsSecretRef: storage } }, uploadOptions: { uploadCondition: "TaskFailure" } },
      ],
    }),
    check: async (t, pods, blobs) => {
      assert.equal(t.status?.executionInfo?.exitCode, 0);
      assert.equal(t.status?.executionInfo?.result, "Success", JSON.stringify(t.status));
      assert.match(t.status?.stdoutTail ?? "", /id=c0 common=from-job own=mine wd=\/mnt\/batch\/workitems\/j\/job-1\/c0\/wd/);
      assert.deepEqual(pods.map((p) => p.metadata?.name), ["c0-0"]);
      assert.equal((await blobs.getBlockBlobClient("c0/result.txt").downloadToBuffer()).toString(), "hello from blob\n");
      assert.match((await blobs.getBlockBlobClient("c0/stdout.txt").downloadToBuffer()).toString(), /id=c0 common=from-job/);
      assert.equal(await blobs.getBlockBlobClient("c0/not-on-success.txt").exists(), false, "uploadCondition TaskFailure");
    },
  },
  "exit 3, retried once after the 10 s back-off: a new Pod per attempt, only the latest kept, the exit code and the failure in status": {
    spec: () => ({ containerSettings: busybox, commandLine: `/bin/sh -c "echo failing on $AZ_BATCH_NODE_ID; exit 3"`, constraints: { maxTaskRetryCount: 1 } }),
    check: (t, pods) => {
      assert.equal(t.status?.executionInfo?.exitCode, 3);
      assert.equal(t.status?.executionInfo?.result, "Failure");
      assert.equal(t.status?.executionInfo?.failureInfo?.code, "FailureExitCode");
      assert.equal(t.status?.executionInfo?.retryCount, 1);
      assert.match(t.status?.stdoutTail ?? "", /failing on c3-1/);
      assert.deepEqual(pods.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata?.name), ["c3-1"], "attempt 0's Pod is deleted once attempt 1's exists");
      const started = Date.parse(t.status?.executionInfo?.startTime ?? "");
      const retried = Date.parse(t.status?.executionInfo?.lastRetryTime ?? "");
      assert.ok(retried - started >= 10_000, `attempt 1 waited out the 10 s back-off (${retried - started} ms after attempt 0 started)`);
    },
  },
  "an image the node cannot pull: UserError naming containerSettings.imageName": {
    spec: () => ({ containerSettings: { imageName: "example.com/no/such-image:1" }, commandLine: "true" }),
    check: (t) => {
      assert.equal(t.status?.executionInfo?.result, "Failure");
      assert.equal(t.status?.executionInfo?.failureInfo?.category, "UserError");
      assert.equal(t.status?.executionInfo?.failureInfo?.code, "ContainerImagePullFailed");
      assert.match(t.status?.executionInfo?.failureInfo?.message ?? "", /containerSettings\.imageName "example\.com\/no\/such-image:1"/);
    },
  },
  "maxWallClockTime: stopped, MaxWallClockTimeExpiry, its Pod deleted": {
    spec: () => ({ containerSettings: busybox, commandLine: "sleep 120", constraints: { maxWallClockTime: "3s" } }),
    check: async (t, pods) => {
      assert.equal(t.status?.executionInfo?.result, "Failure");
      assert.equal(t.status?.executionInfo?.failureInfo?.code, "MaxWallClockTimeExpiry");
      const ran = Date.parse(t.status!.executionInfo!.endTime!) - Date.parse(t.status!.executionInfo!.startTime!);
      assert.ok(ran >= 2_000 && ran < 30_000, `ran ${ran} ms`);
      assert.ok(pods.every((p) => p.metadata?.deletionTimestamp || ["Succeeded", "Failed"].includes(p.status?.phase ?? "")), "no Pod left running");
    },
  },
  "dependsOn: waits until its dependency succeeded": {
    spec: () => ({ containerSettings: busybox, commandLine: "true", dependsOn: { taskIds: ["c0"] } }),
    check: async (t, _pods, _blobs, read) => {
      assert.equal(t.status?.executionInfo?.result, "Success");
      const dep = await read("c0");
      assert.ok(Date.parse(t.status!.executionInfo!.startTime!) >= Date.parse(dep.status!.executionInfo!.endTime!) - 1000, `${t.status?.executionInfo?.startTime} before ${dep.status?.executionInfo?.endTime}`);
    },
  },
  "an agent task of the same job runs on the pool's node": {
    spec: () => ({ commandLine: `/bin/sh -c "echo agent $AZ_BATCH_TASK_ID $COMMON; exit 0"` }),
    check: (t, pods) => {
      assert.equal(t.status?.executionInfo?.exitCode, 0);
      assert.equal(t.status?.executionInfo?.result, "Success");
      assert.match(t.status?.nodeInfo?.nodeId ?? "", /^p-dedicated-/);
      assert.match(t.status?.stdoutTail ?? "", /agent agent from-job/);
      assert.equal(pods.length, 0);
    },
  },
};
const names: Record<string, string> = {
  "exit 0: resource file in, output file out, AZ_BATCH_* and the job's environment": "c0",
  "exit 3, retried once after the 10 s back-off: a new Pod per attempt, only the latest kept, the exit code and the failure in status": "c3",
  "an image the node cannot pull: UserError naming containerSettings.imageName": "cpull",
  "maxWallClockTime: stopped, MaxWallClockTimeExpiry, its Pod deleted": "cwall",
  "dependsOn: waits until its dependency succeeded": "cdep",
  "an agent task of the same job runs on the pool's node": "agent",
};

describe("container tasks", { skip }, () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let ns: { name: string; remove: () => Promise<void> };
  let k: Kubatch;
  let input: ContainerClient;
  let output: ContainerClient;
  const podsOf = async (task: string) => (await core.listNamespacedPod({ namespace: ns.name, labelSelector: `kubatch.dev/task=${task}` })).items;

  before(async () => {
    kc = kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    ns = await testNamespace(kc, "ctask");
    k = new Kubatch(kc, ns.name);
    await core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: storage.name }, stringData: { [storage.key]: azurite! } } });
    const blobs = BlobServiceClient.fromConnectionString(azurite!);
    input = blobs.getContainerClient(`in-${ns.name}`);
    output = blobs.getContainerClient(`out-${ns.name}`);
    await input.createIfNotExists();
    await output.createIfNotExists();
    await input.getBlockBlobClient("greeting.txt").upload("hello from blob\n", 16);
    await k.create("Pool", "p", { vmSize: "small", targetDedicatedNodes: 1 });
    await k.create("Job", "j", { poolInfo: { poolId: "p" }, usesTaskDependencies: true, commonEnvironmentSettings: [{ name: "COMMON", value: "from-job" }] });
    for (const [name, tc] of Object.entries(cases)) await k.create("Task", names[name]!, { jobName: "j", ...tc.spec({ input: input.url, output: output.url }) });
  });
  after(async () => {
    await ns.remove();
    await input?.deleteIfExists();
    await output?.deleteIfExists();
  });

  for (const [name, tc] of Object.entries(cases)) {
    test(name, async () => {
      const task = names[name]!;
      const done = await eventually(`task ${task} Completed`, 120_000, async () => {
        const t = await k.task(task);
        return t.status?.state === "Completed" ? t : undefined;
      }, async () => JSON.stringify((await k.task(task)).status));
      await tc.check(done, await podsOf(task), output, (name) => k.task(name));
    });
  }

  test("the job counts the container tasks with the agent's", async () => {
    const counts = await eventually("job j counts every task", 30_000, async () => {
      const c = (await k.job("j")).status?.taskCounts;
      return c && (c.succeeded ?? 0) + (c.failed ?? 0) === 6 ? c : undefined;
    }, async () => JSON.stringify((await k.job("j")).status?.taskCounts));
    assert.equal(counts.succeeded, 3);
    assert.equal(counts.failed, 3);
  });

  test("terminating the job completes its running container task and deletes the Pod", async () => {
    await k.create("Job", "jt", { poolInfo: { poolId: "p" } });
    await k.create("Task", "long", { jobName: "jt", containerSettings: busybox, commandLine: "sleep 300" });
    await eventually("long Running", 60_000, async () => ((await k.task("long")).status?.state === "Running" ? true : undefined));
    await k.patchSpec("jobs", "jt", { terminate: true });
    const t = await eventually("long Completed", 60_000, async () => {
      const x = await k.task("long");
      return x.status?.state === "Completed" ? x : undefined;
    });
    assert.equal(t.status?.executionInfo?.result, "Failure");
    await eventually("long's Pod gone", 60_000, async () => ((await podsOf("long")).length === 0 ? true : undefined), async () => JSON.stringify((await podsOf("long")).map((p) => [p.metadata?.name, p.status?.phase, p.metadata?.deletionTimestamp])));
  });

  test("disabling the job with Requeue puts its running container task back to Active and deletes its Pod; enabling runs it again", async () => {
    // The second run differs from the first by the job's environment, changed while the job
    // is disabled (the container sees nothing of this machine's files).
    await k.create("Job", "jr", { poolInfo: { poolId: "p" }, commonEnvironmentSettings: [{ name: "RUN_MODE", value: "slow" }] });
    await k.create("Task", "requeued", { jobName: "jr", containerSettings: busybox, commandLine: `/bin/sh -c 'test "$RUN_MODE" = quick && exit 0; sleep 300'` });
    await eventually("requeued Running", 60_000, async () => ((await k.task("requeued")).status?.state === "Running" ? true : undefined));
    await k.patchSpec("jobs", "jr", { disabled: true, disableTasks: "Requeue" });
    await eventually("job jr Disabled", 60_000, async () => ((await k.job("jr")).status?.state === "Disabled" ? true : undefined), async () => JSON.stringify((await k.job("jr")).status));
    await eventually("its Pod gone", 60_000, async () => ((await podsOf("requeued")).length === 0 ? true : undefined));
    const back = await k.task("requeued");
    assert.equal(back.status?.state, "Active");
    assert.equal(back.status?.executionInfo?.requeueCount, 1);
    await k.patchSpec("jobs", "jr", { commonEnvironmentSettings: [{ name: "RUN_MODE", value: "quick" }] });
    await k.patchSpec("jobs", "jr", { disabled: false });
    const done = await eventually("requeued ran again", 60_000, async () => {
      const t = await k.task("requeued");
      return t.status?.state === "Completed" ? t : undefined;
    }, async () => JSON.stringify((await k.task("requeued")).status));
    assert.equal(done.status?.executionInfo?.result, "Success");
    assert.equal(done.status?.executionInfo?.exitCode, 0);
  });

  test("a running container task's Pod is owned by the Task and goes when the Task is deleted", async () => {
    await k.create("Task", "sleeper", { jobName: "j", containerSettings: busybox, commandLine: "sleep 300" });
    const pod = await eventually("sleeper Running", 60_000, async () => ((await k.task("sleeper")).status?.state === "Running" ? (await podsOf("sleeper"))[0] : undefined));
    const owner = pod.metadata?.ownerReferences?.[0];
    assert.equal(owner?.kind, "Task");
    assert.equal(owner?.controller, true);
    assert.equal(pod.metadata?.labels?.["kubatch.dev/job"], "j");
    await k.custom.deleteNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", namespace: ns.name, plural: "tasks", name: "sleeper" });
    await eventually("the sleeper's Pod gone", 60_000, async () => ((await podsOf("sleeper")).length === 0 ? true : undefined));
  });
});
