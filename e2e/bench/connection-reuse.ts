// Evidence for the benchmark notes: @kubernetes/client-node 2.0.1 builds a new undici Agent for
// every API call (KubeConfig.applySecurityAuthentication → createDispatcher), so every request
// opens a new TLS connection. This compares it with a KubeConfig that reuses one dispatcher.
//
//   KUBECONFIG=.kubatch/bench/kubeconfig node e2e/bench/connection-reuse.ts [--requests 400] [--in-flight 8]
//     [--mode default|pooled]   one mode only, in a fresh process: its RSS peak means something
import dc from "node:diagnostics_channel";
import { parseArgs } from "node:util";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { PooledKubeConfig } from "./kube.ts";
import { forEachBounded } from "../../kube/bounded.ts";

let connects = 0;
dc.subscribe("undici:client:beforeConnect", () => connects++);

const modes = [["client-node default", KubeConfig], ["one shared dispatcher", PooledKubeConfig]] as const;

export async function compareConnectionReuse(kubeconfig: string | undefined, requests: number, inFlight: number, only?: "default" | "pooled") {
  const out: Record<string, { requests: number; ms: number; clientCpuMsPerRequest: number; newConnections: number; rssPeakMiB: number }> = {};
  for (const [name, K] of modes.filter((_, i) => !only || i === (only === "default" ? 0 : 1))) {
    const kc = new K();
    if (kubeconfig) kc.loadFromFile(kubeconfig);
    else kc.loadFromDefault();
    const core = kc.makeApiClient(CoreV1Api);
    connects = 0;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    let rss = 0;
    await forEachBounded(Array.from({ length: requests }), inFlight, async () => {
      await core.readNamespace({ name: "default" });
      rss = Math.max(rss, process.memoryUsage.rss());
    });
    const c = process.cpuUsage(c0);
    out[name] = { requests, ms: Math.round(performance.now() - t0), clientCpuMsPerRequest: Math.round(((c.user + c.system) / 1000 / requests) * 100) / 100, newConnections: connects, rssPeakMiB: Math.round(rss / 2 ** 20) };
  }
  return out;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { requests: { type: "string", default: "400" }, "in-flight": { type: "string", default: "8" }, mode: { type: "string" } } });
  if (values.mode && values.mode !== "default" && values.mode !== "pooled") throw new Error(`--mode: default or pooled, not "${values.mode}"`);
  console.log(await compareConnectionReuse(undefined, Number(values.requests), Number(values["in-flight"]), values.mode as "default" | "pooled" | undefined));
  process.exit(0);
}
