// Azurite (blob service only) for tests and the demo: on the host's end of the node's link
// (pods reach it there), data in the cluster folder, telemetry off. The account and key are Azurite's published development credentials.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export const azuriteAccount = "devstoreaccount1";
export const azuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export function azuriteConnectionString(host: string, port: number): string {
  return `DefaultEndpointsProtocol=http;AccountName=${azuriteAccount};AccountKey=${azuriteKey};BlobEndpoint=http://${host}:${port}/${azuriteAccount};`;
}

export function azuriteCommand(host: string, port: number, location: string): { command: string; args: string[] } {
  const pkg = createRequire(import.meta.url).resolve("azurite/package.json");
  const main = join(dirname(pkg), "dist", "src", "blob", "main.js");
  // Run under this Node (24): azurite's shebang would pick whatever `node` is first on PATH.
  return {
    command: process.execPath,
    args: [main, "--blobHost", host, "--blobPort", String(port), "--location", location, "--disableTelemetry", "--skipApiVersionCheck", "--loose", "--silent"],
  };
}
