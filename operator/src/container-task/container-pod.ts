// A task with containerSettings → its own Pod (pure). The Pod mirrors a node's layout for one
// task: an emptyDir at AZ_BATCH_NODE_ROOT_DIR holding workitems/<job>/job-1/<task>/wd;
// init container `fetch` (the task-runner image) downloads the task's resource files into
// wd; container `task` runs the user's image with the command line split into argv (no
// shell, like on a node) and the same environment an agent gives its tasks; when the task
// has outputFiles, container `upload` (the task-runner image) waits for `task` to end, reads
// its exit code from the Pod's status and uploads by uploadCondition. Only `upload` gets an
// API token (the namespace's kubatch-upload identity): the user's code gets none.
import { createHash } from "node:crypto";
import type { V1Container, V1EnvVar, V1Pod, V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import type { Job } from "../../../api/job.ts";
import type { Task } from "../../../api/task.ts";
import type { OperatorConfig } from "../config/operator-config.ts";
import { controllerRef } from "../../../kube/apply.ts";
import { tokenMount, tokenVolume } from "../../../kube/token-volume.ts";
import { uploadServiceAccount } from "../../../api/identities.ts";
import { splitCommandLine } from "../../../api/command-line-split.ts";
import {
  autoStorageEnv,
  credentialEnv,
  outputCredentialEnv,
  outputFilesEnv,
  podNameEnv,
  resourceFilesEnv,
  taskContainerEnv,
} from "../../../api/node-contract.ts";
import { containerPodActiveSinceAnnotation, containerPodJobLabel, containerPodRetryLabel, containerPodTaskLabel } from "../../../api/labels.ts";
import { batchEnvironment } from "../../../api/node-layout.ts";

export const taskContainer = "task";
export const fetchContainer = "fetch";
export const uploadContainer = "upload";
const rootVolume = "task-root";

const maxLabel = 63;
/** The kubelet turns activeDeadlineSeconds into a Go time.Duration (int64 ns): longer overflows, so it means no deadline. */
const MAX_POD_DEADLINE_SECONDS = 9_223_372_036;

/** A label value (≤ 63 characters): the name itself, or a prefix and a hash of it. */
export function boundedName(name: string, max = maxLabel): string {
  if (name.length <= max) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${name.slice(0, max - 9).replace(/[-.]+$/, "")}-${hash}`;
}

/** `<task>-<retry>`, at most 63 characters (a valid hostname) and always the same for one attempt. */
export function podName(taskName: string, retry: number): string {
  const suffix = `-${retry}`;
  if (taskName.length + suffix.length <= maxLabel) return `${taskName}${suffix}`;
  return `${boundedName(taskName, maxLabel - suffix.length)}${suffix}`;
}

/** The kubelet expands `$(VAR)` in env values; `$$` keeps a `$` literal, as on a node. */
export const literal = (value: string) => value.replaceAll("$", "$$$$");

export class ContainerTaskError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

export type PodInputs = {
  task: Task & { apiVersion: string; kind: string };
  job: Job | undefined;
  poolId: string;
  config: OperatorConfig;
  retry: number;
  /** Seconds left of the task's maxWallClockTime (counted from its first start), if it has one. */
  deadlineSeconds?: number;
};

/** The task's current "since" mark (see containerPodActiveSinceAnnotation). */
export const activeSinceOf = (task: { status?: { stateTransitionTime?: string } }) => task.status?.stateTransitionTime ?? "";

export function containerTaskPod(inputs: PodInputs): V1Pod {
  const { task, job, poolId, config, retry } = inputs;
  const settings = task.spec.containerSettings;
  if (!settings) throw new ContainerTaskError("spec.containerSettings", "is not set");
  let argv: string[];
  try {
    argv = splitCommandLine(task.spec.commandLine);
  } catch (err) {
    throw new ContainerTaskError("spec.commandLine", err instanceof Error ? err.message : String(err));
  }
  const name = podName(task.metadata.name, retry);
  const node = { rootDir: config.nodeRootDir, poolId, nodeId: name, isDedicated: true };
  const batch = batchEnvironment(node, { jobId: task.spec.jobName, taskId: task.spec.id });
  const wd = batch.AZ_BATCH_TASK_WORKING_DIR!;

  // The agent's order: AZ_BATCH_*, then the job's common settings, then the task's own.
  const merged = new Map<string, string>(Object.entries(batch));
  for (const s of job?.spec.commonEnvironmentSettings ?? []) merged.set(s.name, s.value ?? "");
  for (const s of task.spec.environmentSettings ?? []) merged.set(s.name, s.value ?? "");
  const taskEnv: V1EnvVar[] = [...merged].map(([k, v]) => ({ name: k, value: literal(v) }));
  const runnerEnv: V1EnvVar[] = Object.entries(batch).map(([k, v]) => ({ name: k, value: literal(v) }));

  const rootMount: V1VolumeMount = { name: rootVolume, mountPath: config.nodeRootDir };
  const volumes: V1Volume[] = [{ name: rootVolume, emptyDir: {} }];
  const initContainers: V1Container[] = [];
  const runner = { image: config.taskRunnerImage, volumeMounts: [rootMount], terminationMessagePolicy: "FallbackToLogsOnError" };

  const files = task.spec.resourceFiles ?? [];
  if (files.length > 0) {
    const env: V1EnvVar[] = [...runnerEnv, { name: resourceFilesEnv, value: literal(JSON.stringify(files)) }];
    files.forEach((f, i) => {
      if (f.credentialsSecretRef) env.push({ name: credentialEnv(i), valueFrom: { secretKeyRef: { name: f.credentialsSecretRef.name, key: f.credentialsSecretRef.key } } });
    });
    if (files.some((f) => f.autoStorageContainerName)) {
      if (!config.autoStorage) throw new ContainerTaskError("spec.resourceFiles", "autoStorageContainerName needs the operator's autoStorage setting");
      env.push({ name: autoStorageEnv, valueFrom: { secretKeyRef: { name: config.autoStorage.name, key: config.autoStorage.key } } });
    }
    initContainers.push({ name: fetchContainer, ...runner, args: ["fetch", "--dest", wd], env });
  }

  const containers: V1Container[] = [
    {
      name: taskContainer,
      image: settings.imageName,
      imagePullPolicy: settings.imagePullPolicy,
      command: argv,
      workingDir: settings.workingDirectory === "ContainerImageDefault" ? undefined : wd,
      env: taskEnv,
      resources: settings.resources as V1Container["resources"],
      volumeMounts: [rootMount],
      terminationMessagePolicy: "FallbackToLogsOnError",
    },
  ];

  const outputs = task.spec.outputFiles ?? [];
  if (outputs.length > 0) {
    const env: V1EnvVar[] = [
      ...runnerEnv,
      { name: outputFilesEnv, value: literal(JSON.stringify(outputs)) },
      { name: podNameEnv, valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "KUBATCH_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
      { name: taskContainerEnv, value: taskContainer },
    ];
    outputs.forEach((f, i) => {
      const ref = f.destination.container.credentialsSecretRef;
      if (ref) env.push({ name: outputCredentialEnv(i), valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } });
    });
    volumes.push(tokenVolume);
    containers.push({
      name: uploadContainer,
      ...runner,
      args: ["upload"],
      env,
      volumeMounts: [rootMount, tokenMount],
    });
  }

  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: task.metadata.namespace,
      labels: {
        [containerPodTaskLabel]: boundedName(task.metadata.name),
        [containerPodJobLabel]: task.spec.jobName,
        [containerPodRetryLabel]: String(retry),
        "app.kubernetes.io/name": "kubatch-task",
        "app.kubernetes.io/managed-by": "kubatch",
      },
      annotations: { [containerPodActiveSinceAnnotation]: activeSinceOf(task) },
      ownerReferences: [controllerRef(task as never)],
    },
    spec: {
      restartPolicy: "Never",
      // Retries are new Pods (the operator's), never container restarts.
      activeDeadlineSeconds: inputs.deadlineSeconds !== undefined && inputs.deadlineSeconds < MAX_POD_DEADLINE_SECONDS ? Math.max(1, Math.ceil(inputs.deadlineSeconds)) : undefined,
      serviceAccountName: outputs.length > 0 ? uploadServiceAccount : undefined,
      automountServiceAccountToken: false,
      initContainers: initContainers.length > 0 ? initContainers : undefined,
      containers,
      volumes,
    },
  };
}
