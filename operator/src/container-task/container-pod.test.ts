import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Pod } from "@kubernetes/client-node";
import { parseJob } from "../../../api/job.ts";
import { parseTask, type Task } from "../../../api/task.ts";
import { defaultOperatorConfig } from "../config/operator-config.ts";
import { ContainerTaskError, containerTaskPod, literal, podName } from "./container-pod.ts";

const config = { ...defaultOperatorConfig(), taskRunnerImage: "kubatch/task-runner:test" };

function task(spec: Record<string, unknown>, name = "t1"): Task & { apiVersion: string; kind: string } {
  const r = parseTask({
    apiVersion: "kubatch.dev/v1alpha1",
    kind: "Task",
    metadata: { name, namespace: "ns", uid: "uid-1" },
    spec: { jobName: "j", commandLine: "/bin/sh -c 'exit 3'", containerSettings: { imageName: "busybox:1.36" }, ...spec },
  });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  return r.value as Task & { apiVersion: string; kind: string };
}
const job = (() => {
  const r = parseJob({
    apiVersion: "kubatch.dev/v1alpha1",
    kind: "Job",
    metadata: { name: "j", namespace: "ns" },
    spec: { poolInfo: { poolId: "p" }, commonEnvironmentSettings: [{ name: "COMMON", value: "job" }, { name: "BOTH", value: "job" }] },
  });
  assert.ok(r.ok);
  return r.value;
})();

const env = (pod: V1Pod, container: string) => Object.fromEntries((pod.spec?.containers?.find((c) => c.name === container)?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const wd = "/mnt/batch/workitems/j/job-1/t1/wd";

const cases: Record<string, { spec: Record<string, unknown>; retry?: number; deadline?: number; check: (pod: V1Pod) => void }> = {
  "minimal: the user's image runs the command line as argv in the task's working directory": {
    spec: {},
    check: (pod) => {
      assert.equal(pod.metadata?.name, "t1-0");
      assert.deepEqual(pod.metadata?.labels?.["kubatch.dev/task"], "t1");
      assert.deepEqual(pod.metadata?.labels?.["kubatch.dev/job"], "j");
      assert.equal(pod.metadata?.ownerReferences?.[0]?.kind, "Task");
      assert.equal(pod.metadata?.ownerReferences?.[0]?.controller, true);
      assert.equal(pod.spec?.restartPolicy, "Never");
      assert.equal(pod.spec?.automountServiceAccountToken, false);
      assert.equal(pod.spec?.initContainers, undefined);
      assert.deepEqual(pod.spec?.containers?.map((c) => c.name), ["task"]);
      const c = pod.spec!.containers[0]!;
      assert.equal(c.image, "busybox:1.36");
      assert.deepEqual(c.command, ["/bin/sh", "-c", "exit 3"]);
      assert.equal(c.workingDir, wd);
      assert.equal(c.terminationMessagePolicy, "FallbackToLogsOnError");
    },
  },
  "environment: AZ_BATCH_*, then the job's common settings, then the task's own": {
    spec: { environmentSettings: [{ name: "BOTH", value: "task" }, { name: "DOLLAR", value: "$(HOME) $x" }] },
    check: (pod) => {
      const e = env(pod, "task");
      assert.equal(e.AZ_BATCH_TASK_ID, "t1");
      assert.equal(e.AZ_BATCH_JOB_ID, "j");
      assert.equal(e.AZ_BATCH_POOL_ID, "p");
      assert.equal(e.AZ_BATCH_NODE_ID, "t1-0");
      assert.equal(e.AZ_BATCH_TASK_WORKING_DIR, wd);
      assert.equal(e.COMMON, "job");
      assert.equal(e.BOTH, "task");
      assert.equal(e.DOLLAR, "$$(HOME) $$x", "kept literal through the kubelet's $(VAR) expansion");
    },
  },
  "resource files: init container fetch from the runner image into the working directory": {
    spec: { resourceFiles: [{ httpUrl: "http://example.com/a.txt", filePath: "a.txt" }, { storageContainerUrl: "http://127.0.0.1/c", credentialsSecretRef: { name: "s", key: "k" } }] },
    check: (pod) => {
      const init = pod.spec?.initContainers ?? [];
      assert.deepEqual(init.map((c) => c.name), ["fetch"]);
      assert.equal(init[0]!.image, "kubatch/task-runner:test");
      assert.deepEqual(init[0]!.args, ["fetch", "--dest", wd]);
      const e = Object.fromEntries((init[0]!.env ?? []).map((x) => [x.name, x]));
      assert.match(e.KUBATCH_RESOURCE_FILES!.value!, /a\.txt/);
      assert.deepEqual(e.KUBATCH_RESOURCE_FILE_CREDENTIAL_1!.valueFrom, { secretKeyRef: { name: "s", key: "k" } });
    },
  },
  "output files: an upload container with an API token only it mounts": {
    spec: { outputFiles: [{ filePattern: "*.txt", destination: { container: { containerUrl: "http://127.0.0.1/out" } } }] },
    check: (pod) => {
      assert.deepEqual(pod.spec?.containers?.map((c) => c.name), ["task", "upload"]);
      const up = pod.spec!.containers[1]!;
      assert.deepEqual(up.args, ["upload"]);
      assert.equal(pod.spec?.serviceAccountName, "kubatch-upload");
      assert.ok(up.volumeMounts?.some((m) => m.mountPath === "/var/run/secrets/kubernetes.io/serviceaccount"));
      assert.ok(!pod.spec!.containers[0]!.volumeMounts?.some((m) => m.mountPath.startsWith("/var/run/secrets")));
      assert.match(String(env(pod, "upload").KUBATCH_OUTPUT_FILES), /out/);
    },
  },
  "container settings: image default working directory, pull policy, resources": {
    spec: { containerSettings: { imageName: "alpine", workingDirectory: "ContainerImageDefault", imagePullPolicy: "Never", resources: { limits: { cpu: "1" } } } },
    check: (pod) => {
      const c = pod.spec!.containers[0]!;
      assert.equal(c.workingDir, undefined);
      assert.equal(c.imagePullPolicy, "Never");
      assert.deepEqual(c.resources, { limits: { cpu: "1" } });
    },
  },
  "a retry is a new Pod, with what is left of the wall clock as its deadline": {
    spec: {},
    retry: 2,
    deadline: 9.2,
    check: (pod) => {
      assert.equal(pod.metadata?.name, "t1-2");
      assert.equal(pod.metadata?.labels?.["kubatch.dev/retry"], "2");
      assert.equal(pod.spec?.activeDeadlineSeconds, 10);
    },
  },
  // The kubelet multiplies the seconds into a Go time.Duration: past ~292 years it overflows and would end the Pod at once.
  "an unlimited wall clock (Azure's TimeSpan.MaxValue) sets no deadline": {
    spec: {},
    deadline: 922_337_203_685.4775,
    check: (pod) => assert.equal(pod.spec?.activeDeadlineSeconds, undefined),
  },
  "a deadline of 30 days is kept": {
    spec: {},
    deadline: 30 * 86_400,
    check: (pod) => assert.equal(pod.spec?.activeDeadlineSeconds, 2_592_000),
  },
};

for (const [name, tc] of Object.entries(cases)) {
  test(`containerTaskPod: ${name}`, () => tc.check(containerTaskPod({ task: task(tc.spec), job, poolId: "p", config, retry: tc.retry ?? 0, deadlineSeconds: tc.deadline })));
}

test("containerTaskPod: a command line that cannot be split names the field", () => {
  assert.throws(() => containerTaskPod({ task: task({ commandLine: "echo 'open" }), job, poolId: "p", config, retry: 0 }), (err: unknown) => err instanceof ContainerTaskError && err.field === "spec.commandLine");
});

const names: Record<string, [task: string, retry: number, check: (n: string) => void]> = {
  short: ["t1", 0, (n) => assert.equal(n, "t1-0")],
  "long: bounded to 63 with a hash, stable": ["x".repeat(200), 12, (n) => (assert.ok(n.length <= 63), assert.ok(n.endsWith("-12")), assert.equal(n, podName("x".repeat(200), 12)))],
  "long names differing at the end differ": ["y".repeat(100) + "a", 0, (n) => assert.notEqual(n, podName("y".repeat(100) + "b", 0))],
};
for (const [name, [t, retry, check]] of Object.entries(names)) test(`podName: ${name}`, () => check(podName(t, retry)));

test("literal: every $ survives the kubelet's expansion", () => assert.equal(literal("a$b$(C)$$"), "a$$b$$(C)$$$$"));
