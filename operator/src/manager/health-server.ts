// /healthz (the process is alive) and /readyz (the caches have synced), on the given address.
import { createServer, type Server } from "node:http";

export function startHealthServer(host: string, port: number, ready: () => boolean): Promise<Server> {
  const server = createServer((req, res) => {
    const known = req.url === "/healthz" || req.url === "/readyz";
    const ok = req.url === "/healthz" || (req.url === "/readyz" && ready());
    res.statusCode = !known ? 404 : ok ? 200 : 503;
    res.end(!known ? "not found" : ok ? "ok" : "not ready");
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
