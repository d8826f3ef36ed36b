// The names and selector labels of a pool's node Deployments.
import { nodeTypeLabel, poolLabel } from "../../../api/labels.ts";
import type { Pool } from "../../../api/pool.ts";

export type NodeType = "dedicated" | "lowpriority";

export function deploymentName(pool: string, type: NodeType): string {
  return `${pool}-${type}`;
}

export function nodeSelectorLabels(pool: Pool, type: NodeType): Record<string, string> {
  return { [poolLabel]: pool.metadata.name, [nodeTypeLabel]: type };
}

export function selectorString(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
