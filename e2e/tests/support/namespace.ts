import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { eventually } from "../../../local-cluster/probe.ts";

/** A fresh namespace with its default ServiceAccount; the returned function deletes it. */
export async function testNamespace(kc: KubeConfig, prefix: string): Promise<{ name: string; remove: () => Promise<void> }> {
  const core = kc.makeApiClient(CoreV1Api);
  const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  await core.createNamespace({ body: { metadata: { name, labels: { "kubatch.dev/test": "true" } } } });
  await eventually(`default ServiceAccount in ${name}`, 60_000, () => core.readNamespacedServiceAccount({ name: "default", namespace: name }));
  return { name, remove: async () => void (await core.deleteNamespace({ name }).catch(() => undefined)) };
}
