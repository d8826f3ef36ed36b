// A TLS proxy in front of the local cluster's API server, for the fault-injection suites: a
// pool's agents (agentsThrough) or an operator (kubeConfigThrough) are pointed at it, and a
// rule decides per request whether it passes, is answered with an error status (503, 429 —
// what an overloaded or restarting API server and API Priority and Fairness answer; 410
// Expired), has its connection reset or held (a black hole), is forwarded late, or (a watch)
// gets the API server's "too old resource version" ERROR event, as after an etcd compaction.
// It listens on the host's end of the node link, beside the API server, and serves the API
// server's own certificate, so the pods' service-account CA and token work unchanged.
import { readFileSync } from "node:fs";
import { createServer, request, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { KubeConfig } from "@kubernetes/client-node";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { ClusterInfo } from "../../../local-cluster/control-plane.ts";
import { clusterPaths } from "../../../local-cluster/state.ts";

/**
 * pass; reset the connection; hold it (a black hole: never forwarded nor answered, until
 * dropConnections); expire a watch; answer an error status; forward after a delay.
 */
export type Fault = "pass" | "reset" | "hold" | "expire-watch" | { status: number } | { delayMs: number };
export type FaultRule = (req: { method: string; path: string }) => Fault;

export type FaultProxy = {
  host: string;
  port: number;
  /** The rule for the requests from now on (in-flight ones keep theirs). */
  setRule(rule: FaultRule): void;
  /** Requests seen and faults injected, by kind. */
  counts: { requests: number; faults: Record<string, number> };
  /** Ends every open connection (the watches among them); the proxy goes on listening. */
  dropConnections(): void;
  close(): Promise<void>;
};

export async function startFaultProxy(info: ClusterInfo): Promise<FaultProxy> {
  const pki = clusterPaths().pki;
  const upstream = new URL(info.server);
  const ca = readFileSync(join(pki, "serving-ca.crt"));
  let rule: FaultRule = () => "pass";
  const counts: FaultProxy["counts"] = { requests: 0, faults: {} };
  const server: Server = createServer({ cert: readFileSync(join(pki, "apiserver.crt")), key: readFileSync(join(pki, "apiserver.key")) }, (req, res) => {
    counts.requests++;
    const fault = rule({ method: req.method ?? "GET", path: req.url ?? "/" });
    if (fault !== "pass") {
      const kind = typeof fault === "string" ? fault : "status" in fault ? String(fault.status) : "delay";
      counts.faults[kind] = (counts.faults[kind] ?? 0) + 1;
      if (fault === "reset") {
        req.socket.destroy();
        return;
      }
      if (fault === "hold") return;
      if (typeof fault === "object" && "delayMs" in fault) {
        const timer = setTimeout(() => forward(req, res), fault.delayMs);
        res.on("close", () => clearTimeout(timer));
        return;
      }
      req.resume();
      if (fault === "expire-watch") return expired(res);
      const reason = { 410: "Expired", 429: "TooManyRequests" }[fault.status] ?? "ServiceUnavailable";
      const body = JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message: `injected by the fault proxy`, reason, code: fault.status });
      res.writeHead(fault.status, { "content-type": "application/json", ...(fault.status === 429 ? { "retry-after": "1" } : {}) });
      res.end(body);
      return;
    }
    forward(req, res);
  });
  function forward(req: IncomingMessage, res: ServerResponse): void {
    const up = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, ca, agent: false },
      (upRes: IncomingMessage) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        // Now, not with the first chunk: a watch with no event yet would otherwise leave its
        // client without a response until client-node's 30 s connect timeout.
        res.flushHeaders();
        upRes.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    res.on("close", () => up.destroy());
    req.pipe(up);
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, info.network.hostIp, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    host: info.network.hostIp,
    port,
    setRule: (r) => void (rule = r),
    counts,
    dropConnections: () => server.closeAllConnections(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The agent container's env that makes the node agent (its in-cluster client) talk to the API through the proxy. */
export function agentsThrough(proxy: FaultProxy): { name: string; value: string }[] {
  return [
    { name: "KUBERNETES_SERVICE_HOST", value: proxy.host },
    { name: "KUBERNETES_SERVICE_PORT", value: String(proxy.port) },
  ];
}

/** What the API server streams to a watch whose resourceVersion was compacted away, then ends it. */
function expired(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "application/json" });
  const status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "too old resource version (injected by the fault proxy)", reason: "Expired", code: 410 };
  res.end(`${JSON.stringify({ type: "ERROR", object: status })}\n`);
}

/** Whether a request is a watch (`?watch=true`, or the legacy `/watch/` paths). */
export function isWatch(path: string): boolean {
  return /[?&]watch=(true|1)(&|$)/.test(path) || path.includes("/watch/");
}

/**
 * A kubeconfig for `kc`'s cluster through the proxy, authenticating with a bearer token: a
 * client certificate would end at the proxy, a token is passed on.
 */
export function kubeConfigThrough(kc: KubeConfig, proxy: FaultProxy, token: string, user = "proxied"): KubeConfig {
  const cluster = { ...kc.getCurrentCluster()!, server: `https://${proxy.host}:${proxy.port}` };
  const config = new KubeConfig();
  config.loadFromOptions({ clusters: [cluster], users: [{ name: user, token }], contexts: [{ name: user, cluster: cluster.name, user }], currentContext: user });
  return config;
}
