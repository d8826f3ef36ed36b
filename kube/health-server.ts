// /healthz (liveness) and /readyz (readiness) over HTTP, for the operator and the node agent.
// Each check returns why it fails, or undefined: the reason is the 503's body, so a failed
// probe says in `kubectl describe pod` what the process thinks is wrong.
import { createServer, type Server } from "node:http";

export type HealthChecks = {
  /** Why the process should be restarted; undefined while it is alive. */
  live: () => string | undefined;
  /** Why the process should get no work yet; undefined when it can take work. */
  ready: () => string | undefined;
};

/** A GET route beside the checks (the agent's /usage): its JSON body, or a reason for a 503. */
export type JsonRoutes = Record<string, () => Promise<unknown | { unavailable: string }>>;

/** Listens on `port` of `host` (undefined: every address, as a pod's probes need). */
export function startHealthServer(host: string | undefined, port: number, checks: HealthChecks, routes: JsonRoutes = {}): Promise<Server> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://health").pathname;
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (route) {
      void route().then(
        (body) => {
          const unavailable = (body as { unavailable?: unknown })?.unavailable;
          res.statusCode = typeof unavailable === "string" ? 503 : 200;
          res.setHeader("content-type", typeof unavailable === "string" ? "text/plain; charset=utf-8" : "application/json");
          res.end(typeof unavailable === "string" ? unavailable : JSON.stringify(body));
        },
        (err: unknown) => {
          res.statusCode = 500;
          res.end(`${path} failed: ${err instanceof Error ? err.message : String(err)}`);
        },
      );
      return;
    }
    const check = path === "/healthz" ? checks.live : path === "/readyz" ? checks.ready : undefined;
    let failure: string | undefined;
    try {
      failure = check ? check() : "not found";
    } catch (err) {
      failure = `the check failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    res.statusCode = !check ? 404 : failure === undefined ? 200 : 503;
    res.setHeader("content-type", "text/plain; charset=utf-8");
    res.end(failure ?? "ok");
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}
