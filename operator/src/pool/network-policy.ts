// Pool → the NetworkPolicy of its node pods (pure). Ingress to a pool's nodes only from the
// pool's own nodes, dedicated and low-priority alike (Azure Batch's inter-node communication:
// MPI, a task's workers), and to the agent's health port (the kubelet's probes, which most
// network plugins let through anyway). Egress stays open: tasks fetch from and upload to
// anywhere, as on an Azure Batch node, and the Pool has no field to say otherwise. Container
// tasks' Pods carry no pool label, so the policy leaves them alone. The operator's
// `nodeNetworkPolicy: false` turns it off (and the reconciler deletes the ones it made).
import { createHash } from "node:crypto";
import type { V1NetworkPolicy } from "@kubernetes/client-node";
import type { Pool } from "../../../api/pool.ts";
import { agentHealthPortName } from "../../../api/node-contract.ts";
import { poolLabel, specHashAnnotation } from "../../../api/labels.ts";
import { controllerRef } from "../../../kube/apply.ts";

export function networkPolicyName(pool: string): string {
  return `${pool}-nodes`;
}

export function nodeNetworkPolicy(pool: Pool & { apiVersion: string; kind: string }): V1NetworkPolicy {
  // Every node pod of the pool, whatever its type: the Deployments' selectors both hold this label.
  const nodes = { matchLabels: { [poolLabel]: pool.metadata.name } };
  const body: V1NetworkPolicy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: {
      name: networkPolicyName(pool.metadata.name),
      namespace: pool.metadata.namespace,
      labels: { [poolLabel]: pool.metadata.name, "app.kubernetes.io/managed-by": "kubatch" },
      ownerReferences: [controllerRef(pool as never)],
    },
    spec: {
      podSelector: nodes,
      // Ingress only: listing Egress would deny every connection the rules do not name.
      policyTypes: ["Ingress"],
      ingress: [
        // A podSelector alone means pods of the policy's own namespace: this pool's nodes.
        // client-node's model calls `from` _from; its serializer sends it as `from` and
        // would drop a plain `from`, leaving a rule that admits everyone.
        { _from: [{ podSelector: nodes }] },
        { ports: [{ port: agentHealthPortName, protocol: "TCP" }] },
      ],
    },
  };
  const hash = createHash("sha256").update(JSON.stringify(body)).digest("hex").slice(0, 16);
  body.metadata!.annotations = { [specHashAnnotation]: hash };
  return body;
}
