// A container's resource use from its own cgroup, as the container sees it: runc mounts the
// container's cgroup at /sys/fs/cgroup, one folder per controller on cgroup v1 (cpuacct,
// memory, blkio, cpu), one unified tree on v2. Both are read, as Kubernetes nodes run either.
// Parsing is separate from reading so the formats are tested from their text.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { CgroupUsage } from "../../../api/node-usage.ts";

export const cgroupRoot = "/sys/fs/cgroup";

/** "key value" lines (cpu.stat, memory.stat) as numbers. */
export function parseFlatKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) out.set(key, Number(value));
  }
  return out;
}

/** v2 io.stat: "MAJ:MIN rbytes=… wbytes=… rios=… wios=… …" per device, summed. */
export function parseIoStat(text: string): Pick<CgroupUsage, "diskReadBytes" | "diskWriteBytes" | "diskReadOps" | "diskWriteOps"> {
  const sum = { diskReadBytes: 0, diskWriteBytes: 0, diskReadOps: 0, diskWriteOps: 0 };
  const fields = { rbytes: "diskReadBytes", wbytes: "diskWriteBytes", rios: "diskReadOps", wios: "diskWriteOps" } as const;
  for (const line of text.split("\n")) {
    for (const pair of line.trim().split(/\s+/).slice(1)) {
      const [k, v] = pair.split("=");
      const field = fields[k as keyof typeof fields];
      if (field && v && /^\d+$/.test(v)) sum[field] += Number(v);
    }
  }
  return sum;
}

/** v1 blkio.throttle.io_service_bytes / io_serviced: "MAJ:MIN Read N" lines, summed over devices ("Total" lines left out). */
export function parseBlkio(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split("\n")) {
    const [device, op, value] = line.trim().split(/\s+/);
    if (!device?.includes(":") || value === undefined || !/^\d+$/.test(value)) continue;
    if (op === "Read") read += Number(value);
    else if (op === "Write") write += Number(value);
  }
  return { read, write };
}

/** v2 cpu.max ("max 100000" or "QUOTA PERIOD"), v1 cfs quota and period (quota -1: none): the limit in cores. */
export function cpuLimitCores(quota: string | undefined, period?: string): number | undefined {
  if (quota === undefined) return undefined;
  let [q, p] = quota.trim().split(/\s+/);
  if (period !== undefined) p = period.trim();
  if (q === undefined || q === "max" || q === "-1" || !p) return undefined;
  const cores = Number(q) / Number(p);
  return Number.isFinite(cores) && cores > 0 ? cores : undefined;
}

/** Working set, as the kubelet counts it: usage less inactive file cache, never below 0. */
export function workingSet(usage: number, inactiveFile: number | undefined): number {
  return Math.max(0, usage - (inactiveFile ?? 0));
}

async function text(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Reads the cgroup this process is in (v2 when cgroup.controllers is at the root, else v1); a file that is missing counts 0. */
export async function readCgroupUsage(root = cgroupRoot): Promise<CgroupUsage> {
  if ((await text(join(root, "cgroup.controllers"))) !== undefined) {
    const cpu = parseFlatKeyed((await text(join(root, "cpu.stat"))) ?? "");
    const memory = parseFlatKeyed((await text(join(root, "memory.stat"))) ?? "");
    return {
      cpuSeconds: (cpu.get("usage_usec") ?? 0) / 1e6,
      cpuLimitCores: cpuLimitCores(await text(join(root, "cpu.max"))),
      memoryBytes: workingSet(Number((await text(join(root, "memory.current")))?.trim() ?? 0) || 0, memory.get("inactive_file")),
      ...parseIoStat((await text(join(root, "io.stat"))) ?? ""),
    };
  }
  const memory = parseFlatKeyed((await text(join(root, "memory", "memory.stat"))) ?? "");
  const bytes = parseBlkio((await text(join(root, "blkio", "blkio.throttle.io_service_bytes"))) ?? "");
  const ops = parseBlkio((await text(join(root, "blkio", "blkio.throttle.io_serviced"))) ?? "");
  return {
    cpuSeconds: (Number((await text(join(root, "cpuacct", "cpuacct.usage")))?.trim() ?? 0) || 0) / 1e9,
    cpuLimitCores: cpuLimitCores(await text(join(root, "cpu", "cpu.cfs_quota_us")), await text(join(root, "cpu", "cpu.cfs_period_us"))),
    memoryBytes: workingSet(Number((await text(join(root, "memory", "memory.usage_in_bytes")))?.trim() ?? 0) || 0, memory.get("total_inactive_file")),
    diskReadBytes: bytes.read,
    diskWriteBytes: bytes.write,
    diskReadOps: ops.read,
    diskWriteOps: ops.write,
  };
}
