// The kubatch controller manager.
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { startHealthServer } from "../../kube/health-server.ts";
import { loadKubeConfig } from "../../kube/kube-config.ts";
import { loadOperatorConfig } from "./config/operator-config.ts";
import { makeControllerManager } from "./manager/controller-manager.ts";
import { LeaderElector, type Leadership } from "./manager/leader-election.ts";
import { kubernetesLeaseStore } from "./manager/lease-store.ts";
import { makeMetrics } from "./metrics/metrics.ts";
import { startMetricsServer } from "./metrics/metrics-server.ts";

const { values } = parseArgs({
  options: {
    config: { type: "string", default: process.env.KUBATCH_CONFIG },
    "health-addr": { type: "string", default: "127.0.0.1:8081" },
    "metrics-addr": { type: "string", default: "127.0.0.1:8080" },
    "leader-elect": { type: "boolean", default: false },
    "leader-election-namespace": { type: "string", default: process.env.POD_NAMESPACE ?? "default" },
    "leader-election-id": { type: "string", default: "kubatch-operator" },
  },
});

const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);

async function main(): Promise<void> {
  const config = loadOperatorConfig(values.config);
  // Aborts when the lease is lost: every controller and every API call in flight stop at once.
  const leadership = new AbortController();
  let elector: Leadership | undefined;
  // And no call leaves while the lease is not surely ours (a leader frozen past it wakes up
  // with its watches' events before its renew timer): no two leaders ever write together.
  const refuse = () => (elector && !elector.holdsLease() ? "this replica does not hold the leader lease now" : undefined);
  const kc = loadKubeConfig(undefined, { signal: leadership.signal, refuse });
  log(`kubatch operator starting against ${kc.getCurrentCluster()?.server}`);
  const metrics = makeMetrics();
  const manager = makeControllerManager(kc, config, log, metrics);
  let leading = !values["leader-elect"];
  const [healthHost, healthPort] = splitHostPort("--health-addr", values["health-addr"]!);
  // Ready means: leading with synced caches, or standing by as a follower.
  const health = await startHealthServer(healthHost, healthPort, {
    live: () => undefined,
    ready: () => (leading && !manager.ready() ? "the caches have not synced yet" : undefined),
  });
  const [metricsHost, metricsPort] = splitHostPort("--metrics-addr", values["metrics-addr"]!);
  const metricsServer = await startMetricsServer(metricsHost, metricsPort, metrics.registry);
  let stopping = false;
  const stop = async (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    // Finish what is in flight, but never hang on the way out (a request without an answer).
    const deadline = new Promise((r) => setTimeout(r, 10_000).unref());
    await Promise.race([Promise.all([manager.stop(), elector?.stop()]), deadline]);
    health.close();
    metricsServer.close();
    process.exit(code);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  if (!values["leader-elect"]) {
    metrics.leader.set(1);
    await manager.start(leadership.signal);
    log("operator running");
    return;
  }
  const identity = `${process.env.POD_NAME ?? hostname()}-${process.pid}`;
  const namespace = values["leader-election-namespace"]!;
  const name = values["leader-election-id"]!;
  // The election's own calls must outlive a lost lease (to stand by, to hand it over): a config of their own.
  const store = kubernetesLeaseStore(loadKubeConfig(), namespace, name);
  elector = new LeaderElector({ store, identity, log: (line) => log(`${line} (lease ${namespace}/${name})`) }).start({
    async onStartedLeading() {
      leading = true;
      metrics.leader.set(1);
      await manager.start(leadership.signal);
      if (!leadership.signal.aborted) log("operator running as leader");
    },
    // Caches and queues are not reusable after losing the lease: stop everything now, start over in a new process.
    onStoppedLeading() {
      leadership.abort(new Error("lost the leader lease"));
      metrics.leader.set(0);
      void stop("lost leadership", 1);
    },
  });
}

function splitHostPort(flag: string, addr: string): [string, number] {
  const at = addr.lastIndexOf(":");
  const port = Number(addr.slice(at + 1));
  if (at < 0 || !Number.isInteger(port)) throw new Error(`${flag}: expected host:port, got "${addr}"`);
  return [addr.slice(0, at), port];
}

main().catch((err: unknown) => {
  log(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
