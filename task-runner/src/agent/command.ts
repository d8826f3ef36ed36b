// `task-runner agent`: the node pod's main process. It prepares the node layout, runs the
// start task itself when the pool does not wait for it (waitForSuccess: false), and keeps
// the node alive until the pod is deleted. Receiving and running tasks is the dispatch
// issue's part (see docs/architecture.md).
import { mkdir } from "node:fs/promises";
import { batchEnvironment, identityFromEnv, nodeLayout, userEnvironment } from "../node-layout.ts";
import { runProcess } from "../process/run-process.ts";
import { commandLineEnv } from "../contract.ts";

export async function agentCommand(_argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const node = identityFromEnv(env);
  const layout = nodeLayout(node.rootDir);
  await mkdir(layout.shared, { recursive: true });
  await mkdir(layout.startupWd, { recursive: true });
  console.log(`agent of node ${node.nodeId} in pool ${node.poolId} (root ${node.rootDir}) started`);
  const commandLine = env[commandLineEnv];
  if (commandLine) {
    // waitForSuccess: false — the node takes tasks while its start task runs.
    void runProcess({ commandLine, cwd: layout.startupWd, outputDir: layout.startup, env: { ...userEnvironment(env), ...batchEnvironment(node) }, echo: true }).then((r) =>
      console.log(`start task exited with code ${r.exitCode}${r.failure ? ` (${r.failure.code})` : ""}`),
    );
  }
  return new Promise((resolve) => {
    // A pending promise does not keep Node running; this timer does, until the pod is stopped.
    const keepAlive = setInterval(() => {}, 1 << 30);
    const stop = (signal: string) => {
      console.log(`agent of node ${node.nodeId}: ${signal}, leaving the pool`);
      clearInterval(keepAlive);
      resolve(0);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}
