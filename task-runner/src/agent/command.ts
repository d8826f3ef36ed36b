// `task-runner agent`: the node pod's main process. It prepares the node layout, runs the
// start task itself when the pool does not wait for it (waitForSuccess: false), then runs
// the tasks the operator assigns to this node until the pod is stopped.
import { mkdir } from "node:fs/promises";
import { loadKubeConfig } from "../../../kube/kube-config.ts";
import { batchEnvironment, identityFromEnv, nodeLayout, userEnvironment } from "../../../api/node-layout.ts";
import { runProcess } from "../process/run-process.ts";
import { maxOutputBytes } from "../process/capped-output.ts";
import { commandLineEnv } from "../../../api/node-contract.ts";
import { TaskAgent } from "./agent.ts";

export async function agentCommand(_argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const node = identityFromEnv(env);
  const namespace = env.KUBATCH_NAMESPACE;
  if (!namespace) throw new Error("KUBATCH_NAMESPACE is not set (the node pod spec sets it)");
  const layout = nodeLayout(node.rootDir);
  const outputCap = maxOutputBytes(env);
  await mkdir(layout.shared, { recursive: true });
  await mkdir(layout.startupWd, { recursive: true });
  const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  log(`agent of node ${node.nodeId} in pool ${node.poolId} (root ${node.rootDir}) starting`);
  const commandLine = env[commandLineEnv];
  if (commandLine) {
    // waitForSuccess: false — the node takes tasks while its start task runs.
    void runProcess({ commandLine, cwd: layout.startupWd, outputDir: layout.startup, maxOutputBytes: outputCap, env: { ...userEnvironment(env), ...batchEnvironment(node) }, echo: true }).then((r) =>
      log(`start task exited with code ${r.exitCode}${r.failure ? ` (${r.failure.code})` : ""}`),
    );
  }
  const kc = loadKubeConfig();
  const agent = new TaskAgent({ kubeConfig: kc, namespace, node, env, log, maxOutputBytes: outputCap, runningReportDelayMs: Number(env.KUBATCH_RUNNING_REPORT_DELAY_MS ?? 100) });
  await agent.start();
  return new Promise((resolve) => {
    const stop = async (signal: string) => {
      log(`${signal}: leaving the pool, stopping ${agent.runningCount} running task(s)`);
      await agent.stop();
      resolve(0);
    };
    process.once("SIGTERM", () => void stop("SIGTERM"));
    process.once("SIGINT", () => void stop("SIGINT"));
  });
}
