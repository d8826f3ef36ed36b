// Node metrics for autoscale formulas: every sample period the autoscaler asks each running node
// pod of an autoscale pool for its usage (GET /usage on the agent's health port, over the pod
// network: no API write, no kubelet access), and turns two readings a period apart into one
// sample per variable, averaged over the pool's nodes ($SampleNodeCount times it is the
// pool's total). A node that does not answer within the timeout is left out of that sample,
// and of the next one's rates (its counters are compared only between consecutive answers).
import type { V1Pod } from "@kubernetes/client-node";
import { agentContainerName, agentHealthPort, agentHealthPortName } from "../../../api/node-contract.ts";
import { nodeUsagePath, nodeUsageSchema, type NodeUsage } from "../../../api/node-usage.ts";
import type { SampledVariable } from "../autoscale/index.ts";
import { podEnded } from "../pool/node-state.ts";

export const usageTimeoutMs = 2_000;
/** At most this many node pods asked at once. */
export const usageConcurrency = 32;

export type Reading = { at: number; usage: NodeUsage };
/** The variables a node usage sample holds. */
export const nodeUsageVariables = ["$CPUPercent", "$MemoryBytes", "$DiskBytes", "$DiskReadBytes", "$DiskWriteBytes", "$DiskReadOps", "$DiskWriteOps", "$NetworkInBytes", "$NetworkOutBytes"] as const satisfies readonly SampledVariable[];
export type NodeUsageSample = Partial<Record<SampledVariable, number>>;

/** Where a node pod's agent answers /usage: its IP and the agent's `health` port; undefined until it has an IP. */
export function usageUrl(pod: V1Pod): string | undefined {
  const ip = pod.status?.podIP;
  if (!ip || pod.metadata?.deletionTimestamp || podEnded(pod) || pod.status?.phase !== "Running") return undefined;
  const agent = pod.spec?.containers?.find((c) => c.name === agentContainerName);
  const port = agent?.ports?.find((p) => p.name === agentHealthPortName)?.containerPort ?? agentHealthPort;
  return `http://${ip.includes(":") ? `[${ip}]` : ip}:${port}${nodeUsagePath}`;
}

/** A /usage answer is a few hundred bytes; a longer one is not an agent's (user code shares the pod's network). */
export const usageMaxBytes = 64 * 1024;

/** GET one node's usage; undefined when it does not answer in time, refuses (503: its runner is restarting), answers more than usageMaxBytes or what the schema refuses. */
export async function fetchNodeUsage(url: string, timeoutMs = usageTimeoutMs): Promise<NodeUsage | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok || !res.body) return undefined;
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += chunk.byteLength;
      if (size > usageMaxBytes) return undefined; // leaving the loop cancels the body
      chunks.push(chunk);
    }
    const parsed = nodeUsageSchema.safeParse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** What a counter grew by; one that went down within an epoch (not expected) counts as started again. */
function grew(now: number, before: number): number {
  return now >= before ? now - before : now;
}

/**
 * One sample from this period's readings and the last period's, per node. Levels ($MemoryBytes,
 * $DiskBytes) need one reading; rates ($CPUPercent: CPU time over wall time and the node's
 * cores) and counts ($DiskReadBytes, $NetworkInBytes, …: what the node did since its last
 * reading) need two. Nothing answered: no sample, as for a pool without nodes.
 */
export function usageSample(previous: ReadonlyMap<string, Reading>, current: ReadonlyMap<string, Reading>): NodeUsageSample {
  if (current.size === 0) return {};
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const now = [...current.values()];
  const out: NodeUsageSample = {
    $MemoryBytes: mean(now.map((r) => r.usage.memoryBytes)),
    $DiskBytes: mean(now.map((r) => r.usage.diskBytes)),
  };
  // Same epoch only: a restarted container's counters began again (the node's are sums of two).
  const pairs = [...current].flatMap(([node, r]) => {
    const before = previous.get(node);
    return before && r.at > before.at && before.usage.epoch === r.usage.epoch ? [{ r, before }] : [];
  });
  if (pairs.length === 0) return out;
  const counter = (field: Exclude<keyof NodeUsage, "epoch">) => mean(pairs.map(({ r, before }) => grew(r.usage[field], before.usage[field])));
  out.$CPUPercent = mean(pairs.map(({ r, before }) => Math.min(100, (100 * grew(r.usage.cpuSeconds, before.usage.cpuSeconds)) / ((r.at - before.at) / 1000) / r.usage.cpuCores)));
  out.$DiskReadBytes = counter("diskReadBytes");
  out.$DiskWriteBytes = counter("diskWriteBytes");
  out.$DiskReadOps = counter("diskReadOps");
  out.$DiskWriteOps = counter("diskWriteOps");
  out.$NetworkInBytes = counter("networkInBytes");
  out.$NetworkOutBytes = counter("networkOutBytes");
  return out;
}

/** Keeps each pool's last readings between samples. */
export class NodeUsageSampler {
  private readonly last = new Map<string, Map<string, Reading>>();
  private readonly fetchUsage: (url: string) => Promise<NodeUsage | undefined>;
  private readonly now: () => number;

  constructor(opts: { fetchUsage?: (url: string) => Promise<NodeUsage | undefined>; now?: () => number } = {}) {
    this.fetchUsage = opts.fetchUsage ?? ((url) => fetchNodeUsage(url));
    this.now = opts.now ?? Date.now;
  }

  /** Asks the pool's node pods and returns the sample; the readings are kept for the next one. */
  async sample(poolKey: string, pods: readonly V1Pod[]): Promise<NodeUsageSample> {
    const targets = pods.flatMap((pod) => {
      const url = usageUrl(pod);
      return url && pod.metadata?.uid ? [{ uid: pod.metadata.uid, url }] : [];
    });
    const current = new Map<string, Reading>();
    for (let i = 0; i < targets.length; i += usageConcurrency) {
      await Promise.all(
        targets.slice(i, i + usageConcurrency).map(async ({ uid, url }) => {
          const usage = await this.fetchUsage(url);
          if (usage) current.set(uid, { at: this.now(), usage });
        }),
      );
    }
    // A node that did not answer this time has no reading to compare with next time: its next
    // answer gives levels only, so no count ever spans two periods.
    const previous = this.last.get(poolKey) ?? new Map<string, Reading>();
    this.last.set(poolKey, current);
    return usageSample(previous, current);
  }

  forget(poolKey: string): void {
    this.last.delete(poolKey);
  }
}
