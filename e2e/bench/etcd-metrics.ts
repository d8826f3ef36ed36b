// etcd's database size from its own /metrics (the client URL serves them): before and after a
// phase, how much the phase grew the file etcd keeps on disk (bbolt only grows until a defrag).
import { get } from "../../local-cluster/probe.ts";

export type EtcdDbSize = {
  /** etcd_mvcc_db_total_size_in_bytes: the database file's size (allocated pages). */
  totalBytes: number;
  /** etcd_mvcc_db_total_size_in_use_in_bytes: the part of it holding data (absent on old etcd). */
  inUseBytes?: number;
};

const metric = (text: string, name: string): number | undefined => {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+(\\S+)\\s*$`, "m").exec(text);
  const v = m ? Number(m[1]) : Number.NaN;
  return Number.isFinite(v) ? v : undefined;
};

/** The database sizes in a Prometheus text exposition; throws when the total is missing. */
export function parseEtcdDbSize(text: string): EtcdDbSize {
  const totalBytes = metric(text, "etcd_mvcc_db_total_size_in_bytes");
  if (totalBytes === undefined) throw new Error("etcd_mvcc_db_total_size_in_bytes is not in etcd's /metrics");
  const inUseBytes = metric(text, "etcd_mvcc_db_total_size_in_use_in_bytes");
  return inUseBytes === undefined ? { totalBytes } : { totalBytes, inUseBytes };
}

export async function etcdDbSize(etcdUrl: string): Promise<EtcdDbSize> {
  const res = await get(`${etcdUrl}/metrics`, undefined, 10_000);
  if (res.status !== 200) throw new Error(`etcd /metrics answered ${res.status}`);
  return parseEtcdDbSize(res.body);
}

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/** Growth in MiB between two readings (the in-use figure only when both have it). */
export function dbGrowth(before: EtcdDbSize, after: EtcdDbSize): { beforeMiB: number; afterMiB: number; growthMiB: number; inUseGrowthMiB?: number } {
  const out = { beforeMiB: mib(before.totalBytes), afterMiB: mib(after.totalBytes), growthMiB: mib(after.totalBytes - before.totalBytes) };
  return before.inUseBytes !== undefined && after.inUseBytes !== undefined ? { ...out, inUseGrowthMiB: mib(after.inUseBytes - before.inUseBytes) } : out;
}
