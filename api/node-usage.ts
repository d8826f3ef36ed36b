// What a node's agent answers on GET /usage of its health port: the node pod's resource use,
// read from its containers' cgroups, its network namespace and its root folder. The operator
// samples it for autoscale formulas ($CPUPercent, $MemoryBytes, …, operator/src/autoscaler);
// one schema for both sides. Counters only grow while the containers live: a restarted
// container starts its own from zero again.
import { z } from "zod";

export const nodeUsagePath = "/usage";

const count = z.number().nonnegative();

/** One container's cgroup: what the agent reads for itself and the runner for the tasks container. */
export const cgroupUsageSchema = z.object({
  /** CPU time used, in seconds (a counter). */
  cpuSeconds: count,
  /** The CPU limit in cores; absent when the cgroup has none. */
  cpuLimitCores: z.number().positive().optional(),
  /** Memory in use less reclaimable file cache (the kubelet's working set), in bytes. */
  memoryBytes: count,
  diskReadBytes: count,
  diskWriteBytes: count,
  diskReadOps: count,
  diskWriteOps: count,
  /** When the process that read it started (the runner's: its container's start). */
  startedAt: z.string().max(64).optional(),
});
export type CgroupUsage = z.infer<typeof cgroupUsageSchema>;

export const nodeUsageSchema = cgroupUsageSchema.omit({ cpuLimitCores: true, startedAt: true }).extend({
  /**
   * Which containers' counters these are (the agent's and the runner's starts): two readings
   * of different epochs are not compared, as a restarted container's counters began again.
   */
  epoch: z.string().max(160),
  /** The node's CPU capacity in cores: the tasks container's limit, else the machine's CPUs. */
  cpuCores: z.number().positive(),
  /** Bytes the node's root folder holds (tasks' working folders, outputs, shared files). */
  diskBytes: count,
  /** Bytes received and sent on the pod's interfaces (loopback left out; counters). */
  networkInBytes: count,
  networkOutBytes: count,
});
export type NodeUsage = z.infer<typeof nodeUsageSchema>;
