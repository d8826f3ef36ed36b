// The kubatch controller manager.
import { hostname } from "node:os";
import { startHealthServer } from "../../kube/health-server.ts";
import { loadKubeConfig } from "../../kube/kube-config.ts";
import { operatorUsage, parseOperatorFlags, splitHostPort } from "./config/command-line.ts";
import { formatLogLine } from "./config/log-line.ts";
import { loadOperatorConfig } from "./config/operator-config.ts";
import { makeControllerManager } from "./manager/controller-manager.ts";
import { LeaderElector, type Leadership } from "./manager/leader-election.ts";
import { kubernetesLeaseStore } from "./manager/lease-store.ts";
import { makeMetrics } from "./metrics/metrics.ts";
import { startMetricsServer } from "./metrics/metrics-server.ts";

const parsed = parseOperatorFlags(process.argv.slice(2), process.env);
if (!parsed.ok) {
  console.error(`kubatch-operator: ${parsed.error}\n\n${operatorUsage}`);
  process.exit(2);
}
if ("help" in parsed) {
  console.log(operatorUsage);
  process.exit(0);
}
const flags = parsed.flags;

const log = (line: string) => console.log(formatLogLine(flags.logFormat, new Date(), "info", line));
const logError = (line: string) => console.error(formatLogLine(flags.logFormat, new Date(), "error", line));

async function main(): Promise<void> {
  const config = loadOperatorConfig(flags.config);
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
  let leading = !flags.leaderElect;
  const [healthHost, healthPort] = splitHostPort(flags.healthAddr);
  // Ready means: leading with synced caches, or standing by as a follower.
  const health = await startHealthServer(healthHost, healthPort, {
    live: () => undefined,
    ready: () => (leading && !manager.ready() ? "the caches have not synced yet" : undefined),
  });
  const [metricsHost, metricsPort] = splitHostPort(flags.metricsAddr);
  const metricsServer = await startMetricsServer(metricsHost, metricsPort, metrics.registry);
  log(`health on http://${flags.healthAddr}/healthz and /readyz, metrics on http://${flags.metricsAddr}/metrics`);
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
  if (!flags.leaderElect) {
    metrics.leader.set(1);
    await manager.start(leadership.signal);
    log("operator running");
    return;
  }
  const identity = `${process.env.POD_NAME ?? hostname()}-${process.pid}`;
  const namespace = flags.leaderElectionNamespace;
  const name = flags.leaderElectionId;
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

main().catch((err: unknown) => {
  logError(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
