// `task-runner agent`: the node pod's `agent` container. It prepares the node layout and runs
// the tasks the operator assigns to this node until the pod is stopped; their processes start
// in the `tasks` container through the runner's socket (runner/), where no credentials are.
// Its /healthz and /readyz (health.ts) answer from the start, before its watches have synced.
import { mkdir } from "node:fs/promises";
import { startHealthServer } from "../../../kube/health-server.ts";
import { loadKubeConfig } from "../../../kube/kube-config.ts";
import { identityFromEnv, nodeLayout } from "../../../api/node-layout.ts";
import { agentStateDirEnv, runnerSocketEnv, startTaskReportEnv } from "../../../api/node-contract.ts";
import { CoreV1Api } from "@kubernetes/client-node";
import { mergePatch } from "../../../kube/apply.ts";
import { startTaskInfoPath } from "../start-task/start-task-info.ts";
import { reportStartTask } from "./start-task-report.ts";
import { nodeUsagePath } from "../../../api/node-usage.ts";
import { runnerLauncher, runnerUsage } from "../runner/runner-client.ts";
import { nodeUsageReader } from "../node-usage/node-usage.ts";
import { TaskAgent } from "./agent.ts";
import { agentHealth, healthPort } from "./health.ts";

export async function agentCommand(_argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const node = identityFromEnv(env);
  const namespace = env.KUBATCH_NAMESPACE;
  if (!namespace) throw new Error("KUBATCH_NAMESPACE is not set (the node pod spec sets it)");
  const socket = env[runnerSocketEnv];
  if (!socket) throw new Error(`${runnerSocketEnv} is not set (the node pod spec sets it: the tasks container's runner socket)`);
  const stateDir = env[agentStateDirEnv];
  if (!stateDir) throw new Error(`${agentStateDirEnv} is not set (the node pod spec sets it: the agent's own emptyDir)`);
  const port = healthPort(env);
  const layout = nodeLayout(node.rootDir);
  await mkdir(layout.shared, { recursive: true });
  await mkdir(layout.startupWd, { recursive: true });
  const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  log(`agent of node ${node.nodeId} in pool ${node.poolId} (root ${node.rootDir}) starting`);
  const kc = loadKubeConfig();
  const launch = runnerLauncher(socket, { log });
  const agent = new TaskAgent({ kubeConfig: kc, namespace, node, env, log, launch, stateDir, runningReportDelayMs: Number(env.KUBATCH_RUNNING_REPORT_DELAY_MS ?? 100) });
  // Every address: the kubelet probes the pod's IP, the operator samples /usage there.
  const usage = nodeUsageReader({ tasks: () => runnerUsage(socket), rootDir: node.rootDir });
  const health = await startHealthServer(
    undefined,
    port,
    { live: () => agentHealth(agent.watchHealth()).live, ready: () => agentHealth(agent.watchHealth()).ready },
    { [nodeUsagePath]: usage },
  );
  log(`health endpoints and ${nodeUsagePath} on port ${port}`);
  await agent.start();
  const reporting = new AbortController();
  if (env[startTaskReportEnv] === "true") {
    const core = kc.makeApiClient(CoreV1Api);
    void reportStartTask({
      path: startTaskInfoPath(layout.startup),
      annotate: (annotations) => core.patchNamespacedPod({ name: node.nodeId, namespace, body: { metadata: { annotations } } }, mergePatch).then(() => undefined),
      log,
      signal: reporting.signal,
    });
  }
  return new Promise((resolve) => {
    const stop = async (signal: string) => {
      log(`${signal}: leaving the pool, stopping ${agent.runningCount} running task(s)`);
      reporting.abort();
      await agent.stop();
      health.close();
      resolve(0);
    };
    process.once("SIGTERM", () => void stop("SIGTERM"));
    process.once("SIGINT", () => void stop("SIGINT"));
  });
}
