// The node's answer to GET /usage (api/node-usage.ts): the agent's cgroup and the tasks
// container's (asked of the runner, which is in it) added up — the node pod's containers —, the
// pod's network counters and the bytes under the node root. The root is walked at most every
// diskWalkMs, as that walk is the one costly part.
import { availableParallelism } from "node:os";
import type { CgroupUsage, NodeUsage } from "../../../api/node-usage.ts";
import { readCgroupUsage } from "./cgroup.ts";
import { diskUsed } from "./disk-used.ts";
import { readNetDev } from "./net-dev.ts";

export const diskWalkMs = 10_000;

export type NodeUsageSources = {
  /** The tasks container's cgroup, from the runner; undefined when it does not answer. */
  tasks: () => Promise<CgroupUsage | undefined>;
  agent?: () => Promise<CgroupUsage>;
  network?: () => Promise<{ inBytes: number; outBytes: number }>;
  rootDir: string;
  machineCores?: number;
  now?: () => number;
};

export type NodeUsageReader = () => Promise<NodeUsage | { unavailable: string }>;

export function nodeUsageReader(src: NodeUsageSources): NodeUsageReader {
  let disk: { at: number; bytes: number } | undefined;
  // One walk at a time: requests that come while it runs share it.
  let walking: Promise<number> | undefined;
  const now = src.now ?? Date.now;
  const agentStart = new Date(Date.now() - process.uptime() * 1000).toISOString();
  const diskBytes = async () => {
    if (disk && now() - disk.at < diskWalkMs) return disk.bytes;
    walking ??= diskUsed(src.rootDir).then(
      (d) => ((disk = { at: now(), bytes: d.bytes }), d.bytes),
      () => disk?.bytes ?? 0,
    ).finally(() => (walking = undefined));
    return walking;
  };
  return async () => {
    const [tasks, agent, network] = await Promise.all([src.tasks(), (src.agent ?? readCgroupUsage)(), (src.network ?? readNetDev)()]);
    if (!tasks) return { unavailable: "the tasks container's runner did not answer (its container is starting or restarting)" };
    const bytes = await diskBytes();
    return {
      epoch: `${agentStart}/${tasks.startedAt ?? ""}`,
      cpuSeconds: tasks.cpuSeconds + agent.cpuSeconds,
      cpuCores: tasks.cpuLimitCores ?? src.machineCores ?? availableParallelism(),
      memoryBytes: tasks.memoryBytes + agent.memoryBytes,
      diskReadBytes: tasks.diskReadBytes + agent.diskReadBytes,
      diskWriteBytes: tasks.diskWriteBytes + agent.diskWriteBytes,
      diskReadOps: tasks.diskReadOps + agent.diskReadOps,
      diskWriteOps: tasks.diskWriteOps + agent.diskWriteOps,
      diskBytes: bytes,
      networkInBytes: network.inBytes,
      networkOutBytes: network.outBytes,
    };
  };
}
