// Serves /metrics in the Prometheus text format.
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

export function startMetricsServer(host: string, port: number, registry: Registry): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.statusCode = 404;
      return res.end("not found");
    }
    registry.metrics().then(
      (text) => {
        res.setHeader("Content-Type", registry.contentType);
        res.end(text);
      },
      (err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
