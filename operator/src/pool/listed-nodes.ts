// Which nodes the pool's status lists (pure). A status listing every node grows with the pool
// and is rewritten whole on most assignments; beyond ~5,000 nodes it passes etcd's object
// limit. So it lists a bounded page — the nodes worth looking at first — and says how many it
// left out; status.nodeCounts stays exact.
import type { NodeState } from "../../../api/pool.ts";
import type { NodeInfo } from "./node-state.ts";

/** Nodes listed in a pool's status at most. */
export const listedNodesMax = 100;

/** Lower first: nodes that cannot run (their errors are the news), then nodes on their way in or out, then busy, then idle ones. */
const rank: Record<NodeState, number> = {
  StartTaskFailed: 0,
  Unusable: 0,
  Preempted: 0,
  Creating: 1,
  Starting: 1,
  WaitingForStartTask: 1,
  LeavingPool: 1,
  Reimaging: 1,
  Offline: 2,
  Running: 2,
  Idle: 3,
};

/** The order nodes are listed in. */
export const byName = (a: NodeInfo, b: NodeInfo): number => a.name.localeCompare(b.name);

/** The nodes to list (at most `max`, by rank then name, listed by name) and how many are not listed. */
export function listedNodes(nodes: readonly NodeInfo[], max = listedNodesMax): { nodes: NodeInfo[]; notListed: number } {
  if (nodes.length <= max) return { nodes: [...nodes].sort(byName), notListed: 0 };
  const chosen = [...nodes].sort((a, b) => rank[a.state] - rank[b.state] || byName(a, b)).slice(0, max);
  return { nodes: chosen.sort(byName), notListed: nodes.length - max };
}
