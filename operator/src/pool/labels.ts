// Labels and annotations on what the pool controller creates.
import type { Pool } from "../../../api/pool.ts";

export const poolLabel = "kubatch.dev/pool";
export const nodeTypeLabel = "kubatch.dev/node-type";
/** Set by the operator on a node pod chosen to leave the pool: no new tasks go there. */
export const leavingAnnotation = "kubatch.dev/leaving";
/** Hash of the desired Deployment, so an unchanged one is not applied again. */
export const specHashAnnotation = "kubatch.dev/spec-hash";
export const podDeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost";
export const poolFinalizer = "kubatch.dev/pool-nodes";

export type NodeType = "dedicated" | "lowpriority";

export function deploymentName(pool: Pool, type: NodeType): string {
  return `${pool.metadata.name}-${type}`;
}

export function nodeSelectorLabels(pool: Pool, type: NodeType): Record<string, string> {
  return { [poolLabel]: pool.metadata.name, [nodeTypeLabel]: type };
}

export function selectorString(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
