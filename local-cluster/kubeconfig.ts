import { writeFileSync } from "node:fs";
import { dumpYaml } from "@kubernetes/client-node";
import { base64File, type KeyPair } from "./pki.ts";

/** A self-contained kubeconfig (certificates inlined) for one identity. */
export function writeKubeconfig(path: string, server: string, caFile: string, user: KeyPair, name = "kubatch-local"): void {
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server, "certificate-authority-data": base64File(caFile) } }],
    users: [{ name, user: { "client-certificate-data": base64File(user.cert), "client-key-data": base64File(user.key) } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: "default" } }],
    "current-context": name,
  };
  writeFileSync(path, dumpYaml(config), { mode: 0o600 });
}
