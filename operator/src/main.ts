// The kubatch controller manager.
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { loadOperatorConfig } from "./config/operator-config.ts";
import { makeControllerManager } from "./manager/controller-manager.ts";
import { startHealthServer } from "./manager/health-server.ts";

const { values } = parseArgs({
  options: {
    config: { type: "string", default: process.env.KUBATCH_CONFIG },
    "health-addr": { type: "string", default: "127.0.0.1:8081" },
  },
});

const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);

async function main(): Promise<void> {
  const config = loadOperatorConfig(values.config);
  const kc = new KubeConfig();
  kc.loadFromDefault();
  log(`kubatch operator starting against ${kc.getCurrentCluster()?.server}`);
  const manager = makeControllerManager(kc, config, log);
  const [host, port] = splitHostPort(values["health-addr"]!);
  const health = await startHealthServer(host, port, manager.ready);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    await manager.stop();
    health.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  await manager.start();
  log("operator running");
}

function splitHostPort(addr: string): [string, number] {
  const at = addr.lastIndexOf(":");
  const port = Number(addr.slice(at + 1));
  if (at < 0 || !Number.isInteger(port)) throw new Error(`--health-addr: expected host:port, got "${addr}"`);
  return [addr.slice(0, at), port];
}

main().catch((err: unknown) => {
  log(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
