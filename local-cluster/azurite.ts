// Azurite (blob service only) for tests and the demo: loopback, data in the cluster folder,
// telemetry off. The account and key are Azurite's published development credentials.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export const azuriteAccount = "devstoreaccount1";
export const azuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export function azuriteConnectionString(port: number): string {
  return `DefaultEndpointsProtocol=http;AccountName=${azuriteAccount};AccountKey=${azuriteKey};BlobEndpoint=http://127.0.0.1:${port}/${azuriteAccount};`;
}

export function azuriteCommand(port: number, location: string): { command: string; args: string[] } {
  const pkg = createRequire(import.meta.url).resolve("azurite/package.json");
  const main = join(dirname(pkg), "dist", "src", "blob", "main.js");
  // Run under this Node (24): azurite's shebang would pick whatever `node` is first on PATH.
  return {
    command: process.execPath,
    args: [main, "--blobHost", "127.0.0.1", "--blobPort", String(port), "--location", location, "--disableTelemetry", "--skipApiVersionCheck", "--loose", "--silent"],
  };
}
