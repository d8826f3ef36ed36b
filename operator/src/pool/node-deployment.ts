// Pool → the Deployment of its node pods (pure). Each node pod: an emptyDir node root; init
// container `fetch` downloads the start task's resource files; init container `start-task`
// runs the start task (when it must succeed before tasks run). Two main containers: `agent`
// (the task-runner image, the only one given the ServiceAccount token: it watches and reports)
// and `tasks` (the pool's image, the pool's resources: the runner, which starts every user
// process without the token or the agent's environment; api/node-contract.ts). A pool with an
// image of its own gets the runner injected: an init container from the task-runner image
// copies it into an emptyDir, and the start task and tasks containers run it from there inside
// the pool's image. Every container meets the restricted Pod Security Standard, but the tasks
// container of a pool with separateTaskUsers: its runner runs as root with the six
// capabilities it needs to start each task as a user of its own (baseline). Output tails
// of failed init containers reach the pod status through terminationMessagePolicy
// FallbackToLogsOnError. The agent is probed on its `health` port (agentProbes); the tasks
// container is not (see there).
import { createHash } from "node:crypto";
import type { V1Affinity, V1Container, V1Deployment, V1EnvVar, V1PodTemplateSpec, V1Probe, V1Toleration } from "@kubernetes/client-node";
import type { Pool } from "../../../api/pool.ts";
import type { OperatorConfig } from "../config/operator-config.ts";
import { controllerRef } from "../../../kube/apply.ts";
import {
  agentHealthPort,
  agentHealthPortEnv,
  agentHealthPortName,
  agentStateDir,
  agentStateDirEnv,
  agentStateVolume,
  autoStorageEnv,
  agentContainerName,
  commandLineEnv,
  credentialEnv,
  injectedAgentCommand,
  injectedAgentDir,
  injectedAgentVolume,
  maxRetriesEnv,
  resourceFilesEnv,
  runnerSocketDir,
  runnerSocketEnv,
  runnerSocketPath,
  runnerSocketVolume,
  nodeUser,
  separateTaskUsersEnv,
  startTaskEnvironmentEnv,
  startTaskReportEnv,
} from "../../../api/node-contract.ts";
import { deploymentName, nodeSelectorLabels, type NodeType } from "./deployment-names.ts";
import { mergeOverrides } from "./merge-overrides.ts";
import { nodeServiceAccount } from "../../../api/identities.ts";
import { specHashAnnotation } from "../../../api/labels.ts";
import { tokenMount, tokenVolume } from "../../../kube/token-volume.ts";

export const nodeRootVolume = "node-root";

export class PoolConfigError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

export function nodeResources(pool: Pool, config: OperatorConfig): V1Container["resources"] {
  if (pool.spec.resources) return pool.spec.resources as V1Container["resources"];
  const size = pool.spec.vmSize ? config.vmSizes[pool.spec.vmSize] : undefined;
  if (!size) {
    const known = Object.keys(config.vmSizes).join(", ");
    throw new PoolConfigError("spec.vmSize", `unknown size "${pool.spec.vmSize}"; the operator knows: ${known}`);
  }
  return size as V1Container["resources"];
}

function identityEnv(pool: Pool, config: OperatorConfig, type: NodeType): V1EnvVar[] {
  return [
    { name: "AZ_BATCH_NODE_ROOT_DIR", value: config.nodeRootDir },
    { name: "AZ_BATCH_POOL_ID", value: pool.metadata.name },
    { name: "AZ_BATCH_NODE_ID", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    { name: "AZ_BATCH_NODE_IS_DEDICATED", value: String(type === "dedicated") },
    { name: "KUBATCH_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
  ];
}

/** The agent's own container: API watches and status writes; the pool's size goes to the tasks container. */
export const agentResources = { requests: { cpu: "20m", memory: "64Mi" }, limits: { memory: "256Mi" } };


/**
 * The agent's probes (task-runner/src/agent/health.ts). Readiness — its watches synced and
 * the API server answering — gates the node's Idle state: checked every 2 s, so a new node
 * takes tasks about a second after its sync, and one whose agent stops answering shows
 * Unusable within ~10 s. Liveness fails only for a watch loop that stopped turning, or an agent that does not
 * answer at all (hung, stopped): 6 failures 10 s apart, a minute, before the kubelet restarts
 * the container; 10 s of grace then, not the pod's 30 s, since a wedged agent cannot use them
 * (an agent that still could writes the results it recorded, then stops).
 * The tasks container has no probe: the runner is a Unix socket, which the kubelet cannot
 * probe, and an exec probe would need a program in the pool's image; its event loop only
 * relays to child processes, so user code cannot wedge it, and when it dies its container ends
 * and the kubelet restarts it (the node shows Unusable meanwhile: node-state.ts).
 */
export const agentProbes: { readinessProbe: V1Probe; livenessProbe: V1Probe } = {
  readinessProbe: { httpGet: { path: "/readyz", port: agentHealthPortName }, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 5, successThreshold: 1 },
  livenessProbe: { httpGet: { path: "/healthz", port: agentHealthPortName }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6, successThreshold: 1, terminationGracePeriodSeconds: 10 },
};

/** Restricted Pod Security: no privilege escalation, no capabilities, the runtime's seccomp profile. */
const containerSecurity = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
/**
 * separateTaskUsers: the runner hands each task's folder to the task's user (CHOWN, FOWNER,
 * DAC_OVERRIDE: and back, whatever modes the task left), starts it as that user (SETUID,
 * SETGID) and stops it (KILL). All allowed by the baseline Pod Security Standard.
 */
export const separateUsersSecurity = {
  allowPrivilegeEscalation: false,
  runAsNonRoot: false,
  runAsUser: 0,
  runAsGroup: 0,
  capabilities: { drop: ["ALL"], add: ["CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETGID", "SETUID"] },
};

export function nodePodTemplate(pool: Pool, config: OperatorConfig, type: NodeType): V1PodTemplateSpec {
  const image = pool.spec.image ?? config.taskRunnerImage;
  const inject = image !== config.taskRunnerImage;
  const resources = nodeResources(pool, config);
  const nodeRoot = { name: nodeRootVolume, mountPath: config.nodeRootDir };
  const runnerSocket = { name: runnerSocketVolume, mountPath: runnerSocketDir };
  const common = { image, resources, volumeMounts: [nodeRoot], terminationMessagePolicy: "FallbackToLogsOnError", securityContext: containerSecurity };
  // The containers that run the task-runner inside the pool's image.
  const injected = { name: injectedAgentVolume, mountPath: injectedAgentDir, readOnly: true };
  const inPoolImage = inject ? { command: injectedAgentCommand() } : {};
  const identity = identityEnv(pool, config, type);
  const startTask = pool.spec.startTask;
  const initContainers: V1Container[] = [];
  if (inject) {
    initContainers.push({
      name: "install-agent",
      ...common,
      image: config.taskRunnerImage,
      args: ["install-agent", "--dest", injectedAgentDir],
      volumeMounts: [{ name: injectedAgentVolume, mountPath: injectedAgentDir }],
    });
  }
  const files = startTask?.resourceFiles ?? [];
  if (files.length > 0) {
    const env: V1EnvVar[] = [...identity, { name: resourceFilesEnv, value: JSON.stringify(files) }];
    files.forEach((f, i) => {
      if (f.credentialsSecretRef) env.push({ name: credentialEnv(i), valueFrom: { secretKeyRef: { name: f.credentialsSecretRef.name, key: f.credentialsSecretRef.key } } });
    });
    if (files.some((f) => f.autoStorageContainerName)) {
      if (!config.autoStorage) throw new PoolConfigError("spec.startTask.resourceFiles", "autoStorageContainerName needs the operator's autoStorage setting");
      env.push({ name: autoStorageEnv, valueFrom: { secretKeyRef: { name: config.autoStorage.name, key: config.autoStorage.key } } });
    }
    initContainers.push({ name: "fetch", ...common, image: config.taskRunnerImage, args: ["fetch", "--dest", `${config.nodeRootDir}/startup/wd`], env });
  }
  const startTaskRun: V1EnvVar[] = startTask
    ? [
        { name: commandLineEnv, value: startTask.commandLine },
        { name: maxRetriesEnv, value: String(startTask.maxTaskRetryCount) },
      ]
    : [];
  const startTaskSettings = (startTask?.environmentSettings ?? []).map((s) => ({ name: s.name, value: s.value ?? "" }));
  if (startTask?.waitForSuccess) {
    initContainers.push({ name: "start-task", ...common, ...inPoolImage, volumeMounts: [nodeRoot, ...(inject ? [injected] : [])], args: ["start-task"], env: [...identity, ...startTaskSettings, ...startTaskRun] });
  }
  const agentEnv: V1EnvVar[] = [
    ...identity,
    { name: "KUBATCH_TASK_SLOTS_PER_NODE", value: String(pool.spec.taskSlotsPerNode) },
    { name: runnerSocketEnv, value: runnerSocketPath },
    { name: agentStateDirEnv, value: agentStateDir },
    { name: agentHealthPortEnv, value: String(agentHealthPort) },
    ...(startTask && !startTask.waitForSuccess ? [{ name: startTaskReportEnv, value: "true" }] : []),
    // Tasks' autoStorageContainerName resource files; optional so pools work without it.
    ...(config.autoStorage ? [{ name: autoStorageEnv, valueFrom: { secretKeyRef: { name: config.autoStorage.name, key: config.autoStorage.key, optional: true } } }] : []),
  ];
  const tasksEnv: V1EnvVar[] = [
    ...identity,
    { name: runnerSocketEnv, value: runnerSocketPath },
    ...(pool.spec.separateTaskUsers ? [{ name: separateTaskUsersEnv, value: "true" }] : []),
    // Without waitForSuccess the runner runs the start task beside the first tasks; its
    // settings stay out of the container's environment, which every task inherits.
    ...(startTask && !startTask.waitForSuccess ? [...startTaskRun, { name: startTaskEnvironmentEnv, value: JSON.stringify(Object.fromEntries(startTaskSettings.map((e) => [e.name, e.value]))) }] : []),
  ];
  const template: V1PodTemplateSpec = {
    metadata: { labels: { ...nodeSelectorLabels(pool, type), "app.kubernetes.io/name": "kubatch-node", "app.kubernetes.io/managed-by": "kubatch" } },
    spec: {
      initContainers: initContainers.length > 0 ? initContainers : undefined,
      containers: [
        // The agent holds the node's credentials; it runs no user code.
        {
          name: agentContainerName,
          image: config.taskRunnerImage,
          args: ["agent"],
          env: agentEnv,
          resources: agentResources,
          ports: [{ name: agentHealthPortName, containerPort: agentHealthPort, protocol: "TCP" }],
          ...agentProbes,
          terminationMessagePolicy: "FallbackToLogsOnError",
          securityContext: { ...containerSecurity, readOnlyRootFilesystem: true },
          volumeMounts: [nodeRoot, runnerSocket, { name: agentStateVolume, mountPath: agentStateDir }, tokenMount],
        },
        // User code: tasks, job preparation and release tasks, a start task without waitForSuccess.
        {
          name: "tasks",
          ...common,
          ...inPoolImage,
          args: ["runner"],
          env: tasksEnv,
          volumeMounts: [nodeRoot, runnerSocket, ...(inject ? [injected] : [])],
          ...(pool.spec.separateTaskUsers ? { securityContext: separateUsersSecurity } : {}),
        },
      ],
      volumes: [
        // Bounded: output is capped per process (capped-output.ts), the rest is the tasks' files.
        { name: nodeRootVolume, emptyDir: { sizeLimit: config.nodeRootSizeLimit } },
        { name: runnerSocketVolume, emptyDir: {} },
        { name: agentStateVolume, emptyDir: {} },
        tokenVolume,
        ...(inject ? [{ name: injectedAgentVolume, emptyDir: {} }] : []),
      ],
      serviceAccountName: pool.spec.serviceAccountName ?? nodeServiceAccount,
      // The token goes only where tokenVolume is mounted: the agent container.
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: nodeUser, runAsGroup: nodeUser, fsGroup: nodeUser, seccompProfile: { type: "RuntimeDefault" } },
      nodeSelector: type === "lowpriority" ? (pool.spec.lowPriority?.nodeSelector ?? pool.spec.nodeSelector) : pool.spec.nodeSelector,
      tolerations: (type === "lowpriority" ? (pool.spec.lowPriority?.tolerations ?? pool.spec.tolerations) : pool.spec.tolerations) as V1Toleration[] | undefined,
      affinity: (type === "lowpriority" ? (pool.spec.lowPriority?.affinity ?? pool.spec.affinity) : pool.spec.affinity) as V1Affinity | undefined,
      restartPolicy: "Always",
    },
  };
  return mergeOverrides(template, pool.spec.podTemplate);
}

export function nodeDeployment(pool: Pool & { apiVersion: string; kind: string }, config: OperatorConfig, type: NodeType, replicas: number): V1Deployment {
  const labels = nodeSelectorLabels(pool, type);
  const body: V1Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: deploymentName(pool.metadata.name, type),
      namespace: pool.metadata.namespace,
      labels: { ...labels, "app.kubernetes.io/managed-by": "kubatch" },
      ownerReferences: [controllerRef(pool as never)],
    },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      // A changed node template replaces nodes one at a time, never below the target.
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: nodePodTemplate(pool, config, type),
    },
  };
  const hash = createHash("sha256").update(JSON.stringify(body)).digest("hex").slice(0, 16);
  body.metadata!.annotations = { [specHashAnnotation]: hash };
  return body;
}
