import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePool, type Pool } from "../../../api/pool.ts";
import type { V1Container } from "@kubernetes/client-node";
import { agentHealthPortEnv, agentStateVolume, autoStorageEnv, commandLineEnv, injectedAgentCommand, injectedAgentDir, maxRetriesEnv, runnerSocketVolume, startTaskEnvironmentEnv } from "../../../api/node-contract.ts";
import { defaultOperatorConfig } from "../config/operator-config.ts";
import { agentResources, nodePodTemplate, nodeRootVolume } from "./node-deployment.ts";
import { nodeUser } from "../../../api/node-contract.ts";

const config = { ...defaultOperatorConfig(), taskRunnerImage: "kubatch/task-runner:test" };

function pool(spec: Record<string, unknown>): Pool {
  const r = parsePool({ apiVersion: "kubatch.dev/v1alpha1", kind: "Pool", metadata: { name: "p", namespace: "ns" }, spec: { vmSize: "small", targetDedicatedNodes: 1, ...spec } });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  return r.value;
}

const startTask = { commandLine: "/bin/sh -c 'echo ready'", waitForSuccess: true };

test("the runner is injected into a pool's own image, never into the task-runner's", () => {
  const cases = {
    "default image: the task-runner runs itself": {
      spec: { startTask },
      want: { init: ["start-task"], image: "kubatch/task-runner:test", command: undefined, agentVolume: false },
    },
    "the task-runner image named explicitly: the same": {
      spec: { image: "kubatch/task-runner:test", startTask },
      want: { init: ["start-task"], image: "kubatch/task-runner:test", command: undefined, agentVolume: false },
    },
    "a user's image: installed first, then run from the emptyDir": {
      spec: { image: "example.org/python:3.12", startTask },
      want: { init: ["install-agent", "start-task"], image: "example.org/python:3.12", command: injectedAgentCommand(), agentVolume: true },
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    const spec = nodePodTemplate(pool(tc.spec), config, "dedicated").spec!;
    const init = spec.initContainers ?? [];
    assert.deepEqual(init.map((c) => c.name), tc.want.init, name);
    assert.deepEqual(spec.containers.map((c) => c.name), ["agent", "tasks"], name);
    const [agent, tasks] = spec.containers as [V1Container, V1Container];
    assert.equal(agent.image, config.taskRunnerImage, `${name}: the agent always runs from the task-runner image`);
    assert.equal(agent.command, undefined, name);
    assert.equal(tasks.image, tc.want.image, name);
    assert.deepEqual(tasks.command, tc.want.command, name);
    assert.deepEqual(tasks.args, ["runner"], name);
    assert.deepEqual(init.find((c) => c.name === "start-task")?.command, tc.want.command, `${name}: start task`);
    assert.equal(spec.volumes?.some((v) => v.name === "kubatch-agent") ?? false, tc.want.agentVolume, name);
    if (tc.want.agentVolume) {
      const install = init[0]!;
      assert.equal(install.image, config.taskRunnerImage, `${name}: the installer comes from the task-runner image`);
      assert.deepEqual(install.args, ["install-agent", "--dest", injectedAgentDir]);
      assert.ok(tasks.volumeMounts?.some((m) => m.mountPath === injectedAgentDir && m.readOnly), `${name}: mounted read-only`);
      assert.ok(!tasks.env?.some((e) => e.name === "NODE_OPTIONS" || e.name === "NODE_ENV"), `${name}: nothing of Node's for the tasks to inherit`);
    }
  }
});

test("user code runs without the node's credentials", () => {
  const cases = {
    "plain pool": { spec: {} },
    "start task without waitForSuccess": { spec: { startTask: { commandLine: "/bin/true", waitForSuccess: false, environmentSettings: [{ name: "ONLY_FOR_START", value: "1" }] } } },
    "resource files with credentials": {
      spec: { startTask: { commandLine: "/bin/true", waitForSuccess: true, resourceFiles: [{ httpUrl: "http://x/y", filePath: "y", credentialsSecretRef: { name: "s", key: "k" } }] } },
    },
    "a pool's own image": { spec: { image: "example.org/python:3.12" } },
  };
  const withStorage = { ...config, autoStorage: { name: "storage", key: "connectionString" } };
  for (const [name, tc] of Object.entries(cases)) {
    const spec = nodePodTemplate(pool(tc.spec), withStorage, "dedicated").spec!;
    const [agent, tasks] = spec.containers as [V1Container, V1Container];
    assert.equal(spec.automountServiceAccountToken, false, `${name}: no token by default`);
    const tokenVolumes = (spec.volumes ?? []).filter((v) => v.projected?.sources?.some((s) => s.serviceAccountToken)).map((v) => v.name);
    assert.equal(tokenVolumes.length, 1, name);
    const mounts = (c: V1Container) => (c.volumeMounts ?? []).map((m) => m.name);
    for (const c of [...(spec.initContainers ?? []), tasks]) {
      assert.ok(!mounts(c).includes(tokenVolumes[0]!), `${name}: ${c.name} has no token`);
      assert.ok(!mounts(c).includes(agentStateVolume), `${name}: ${c.name} cannot reach the agent's records`);
    }
    assert.ok(mounts(agent).includes(tokenVolumes[0]!), `${name}: the agent has the token`);
    assert.ok(mounts(agent).includes(agentStateVolume), name);
    const secretRefs = (c: V1Container) => (c.env ?? []).filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name);
    assert.deepEqual(secretRefs(tasks), [], `${name}: no Secret reaches the tasks container`);
    assert.deepEqual(secretRefs(agent), [autoStorageEnv], name);
    for (const n of [runnerSocketVolume, nodeRootVolume]) assert.ok(mounts(agent).includes(n) && mounts(tasks).includes(n), `${name}: both mount ${n}`);
    // The restricted Pod Security Standard, for every container of the pod.
    assert.deepEqual(spec.securityContext, { runAsNonRoot: true, runAsUser: nodeUser, runAsGroup: nodeUser, fsGroup: nodeUser, seccompProfile: { type: "RuntimeDefault" } }, name);
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${name}: ${c.name}`);
      assert.deepEqual(c.securityContext?.capabilities?.drop, ["ALL"], `${name}: ${c.name}`);
    }
    assert.equal(agent.securityContext?.readOnlyRootFilesystem, true, name);
    assert.equal(spec.volumes?.find((v) => v.name === nodeRootVolume)?.emptyDir?.sizeLimit, "10Gi", `${name}: the node root is bounded`);
    assert.deepEqual(agent.resources, agentResources, `${name}: the pool's size is for the tasks`);
    assert.deepEqual(tasks.resources, config.vmSizes.small, name);
  }
});

test("a start task without waitForSuccess is the runner's, its settings kept out of every task's environment", () => {
  const tasks = nodePodTemplate(pool({ startTask: { commandLine: "/bin/true", waitForSuccess: false, maxTaskRetryCount: 2, environmentSettings: [{ name: "ONLY_FOR_START", value: "1" }] } }), config, "dedicated").spec!.containers[1]!;
  const env = Object.fromEntries((tasks.env ?? []).map((e) => [e.name, e.value]));
  assert.equal(env[commandLineEnv], "/bin/true");
  assert.equal(env[maxRetriesEnv], "2");
  assert.deepEqual(JSON.parse(env[startTaskEnvironmentEnv]!), { ONLY_FOR_START: "1" });
  assert.equal(env.ONLY_FOR_START, undefined);
  const waiting = nodePodTemplate(pool({ startTask: { commandLine: "/bin/true", waitForSuccess: true, environmentSettings: [{ name: "ONLY_FOR_START", value: "1" }] } }), config, "dedicated").spec!;
  assert.equal(waiting.containers[1]!.env?.some((e) => e.name === commandLineEnv), false, "waitForSuccess: the init container runs it");
  assert.ok(waiting.initContainers?.find((c) => c.name === "start-task")?.env?.some((e) => e.name === "ONLY_FOR_START"));
});

test("the agent is probed on its health port, the tasks container not at all", () => {
  const cases = {
    "default image": { spec: {}, type: "dedicated" as const, port: 8081 },
    "a pool's own image": { spec: { image: "example.org/python:3.12", startTask }, type: "dedicated" as const, port: 8081 },
    "low-priority nodes": { spec: { targetLowPriorityNodes: 1 }, type: "lowpriority" as const, port: 8081 },
    "the port moved by podTemplate (ports and env merge by name)": {
      spec: { podTemplate: { spec: { containers: [{ name: "agent", ports: [{ name: "health", containerPort: 9091 }], env: [{ name: agentHealthPortEnv, value: "9091" }] }] } } },
      type: "dedicated" as const,
      port: 9091,
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    const [agent, tasks] = nodePodTemplate(pool(tc.spec), config, tc.type).spec!.containers as [V1Container, V1Container];
    const health = agent.ports?.find((p) => p.name === "health");
    assert.equal(health?.containerPort, tc.port, name);
    assert.equal(agent.env?.find((e) => e.name === agentHealthPortEnv)?.value, String(tc.port), `${name}: the agent listens where it is probed`);
    assert.deepEqual(agent.readinessProbe?.httpGet, { path: "/readyz", port: "health" }, name);
    assert.deepEqual(agent.livenessProbe?.httpGet, { path: "/healthz", port: "health" }, name);
    const live = agent.livenessProbe!;
    assert.ok(live.periodSeconds! * (live.failureThreshold! - 1) >= 30, `${name}: liveness fails only after 30 s of failures`);
    const ready = agent.readinessProbe!;
    assert.ok(ready.periodSeconds! * ready.failureThreshold! <= 15, `${name}: an agent that stops answering is not ready within 15 s`);
    for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"] as const) assert.equal(tasks[probe], undefined, `${name}: no ${probe} on tasks`);
    assert.equal(tasks.ports, undefined, name);
  }
});

test("separateTaskUsers: only the tasks container runs as root, with six capabilities and no escalation (baseline); the runner is told", () => {
  const template = nodePodTemplate(pool({ separateTaskUsers: true }), config, "dedicated");
  const [agent, tasks] = template.spec!.containers as [V1Container, V1Container];
  assert.deepEqual(tasks.securityContext, {
    allowPrivilegeEscalation: false,
    runAsNonRoot: false,
    runAsUser: 0,
    runAsGroup: 0,
    capabilities: { drop: ["ALL"], add: ["CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETGID", "SETUID"] },
  });
  assert.equal(tasks.env?.find((e) => e.name === "KUBATCH_SEPARATE_TASK_USERS")?.value, "true");
  for (const c of [agent, ...(template.spec!.initContainers ?? [])]) assert.deepEqual(c.securityContext?.capabilities, { drop: ["ALL"] }, `${c.name} stays restricted`);
  assert.equal(template.spec!.securityContext?.runAsUser, nodeUser);
  const plain = nodePodTemplate(pool({}), config, "dedicated").spec!.containers[1]!;
  assert.equal(plain.securityContext?.runAsUser, undefined, "off by default");
  assert.equal(plain.env?.some((e) => e.name === "KUBATCH_SEPARATE_TASK_USERS"), false);
});
