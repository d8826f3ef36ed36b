import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePool, type Pool } from "../../../api/pool.ts";
import { injectedAgentCommand, injectedAgentDir } from "../../../api/node-contract.ts";
import { defaultOperatorConfig } from "../config/operator-config.ts";
import { nodePodTemplate } from "./node-deployment.ts";

const config = { ...defaultOperatorConfig(), taskRunnerImage: "kubatch/task-runner:test" };

function pool(spec: Record<string, unknown>): Pool {
  const r = parsePool({ apiVersion: "kubatch.dev/v1alpha1", kind: "Pool", metadata: { name: "p", namespace: "ns" }, spec: { vmSize: "small", targetDedicatedNodes: 1, ...spec } });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  return r.value;
}

const startTask = { commandLine: "/bin/sh -c 'echo ready'", waitForSuccess: true };

test("the agent is injected into a pool's own image, never into the task-runner's", () => {
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
    const agent = spec.containers[0]!;
    assert.equal(agent.image, tc.want.image, name);
    assert.deepEqual(agent.command, tc.want.command, name);
    assert.deepEqual(init.find((c) => c.name === "start-task")?.command, tc.want.command, `${name}: start task`);
    assert.equal(spec.volumes?.some((v) => v.name === "kubatch-agent") ?? false, tc.want.agentVolume, name);
    if (tc.want.agentVolume) {
      const install = init[0]!;
      assert.equal(install.image, config.taskRunnerImage, `${name}: the installer comes from the task-runner image`);
      assert.deepEqual(install.args, ["install-agent", "--dest", injectedAgentDir]);
      assert.ok(agent.volumeMounts?.some((m) => m.mountPath === injectedAgentDir && m.readOnly), `${name}: mounted read-only`);
      assert.ok(!agent.env?.some((e) => e.name === "NODE_OPTIONS" || e.name === "NODE_ENV"), `${name}: nothing of Node's for the tasks to inherit`);
    }
  }
});
