// CPU by component of one local cluster (every process carrying its KUBATCH_CLUSTER_ID),
// and the whole machine's CPU from /proc/stat, as deltas over a phase: which process
// was busy, and how much of the machine other work took meanwhile.
import { readFileSync } from "node:fs";
import { clusterProcesses } from "../../local-cluster/processes.ts";
import { readProc } from "./proc.ts";

export type CpuSnapshot = { at: number; byPid: Map<number, { component: string; cpu: number }>; machineBusy: number; machineTotal: number };

export function component(pid: number): string {
  let cmd: string;
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").join(" ");
  } catch {
    return "gone";
  }
  if (cmd.includes("/bin/etcd ")) return "etcd";
  if (cmd.includes("kube-apiserver")) return "kube-apiserver";
  if (cmd.includes("kube-controller-manager")) return "kube-controller-manager";
  if (cmd.includes("kube-scheduler")) return "kube-scheduler";
  if (/\/kubelet |containerd|kube-proxy/.test(cmd)) return "node";
  if (cmd.includes("operator/src/main.ts")) return "operator";
  if (cmd.includes("task-runner/src/main.ts agent")) return "agents";
  if (cmd.includes("azurite")) return "azurite";
  return "other";
}

function machine(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: (total - idle) / 100, total: total / 100 };
}

export function cpuSnapshot(clusterId: string): CpuSnapshot {
  const byPid = new Map<number, { component: string; cpu: number }>();
  for (const pid of clusterProcesses(clusterId)) {
    const s = readProc(pid);
    if (s) byPid.set(pid, { component: component(pid), cpu: s.cpuSeconds });
  }
  const m = machine();
  return { at: Date.now(), byPid, machineBusy: m.busy, machineTotal: m.total };
}

export type CpuUse = {
  seconds: number;
  /** CPU seconds per component of this cluster (long-lived processes; short task processes are not seen). */
  components: Record<string, number>;
  /** Cores busy on average, whole machine (every user), and the part this cluster's processes took. */
  machineCores: number;
  clusterCores: number;
};

export function cpuUse(before: CpuSnapshot, after: CpuSnapshot): CpuUse {
  const components: Record<string, number> = {};
  let cluster = 0;
  for (const [pid, a] of after.byPid) {
    const b = before.byPid.get(pid);
    const d = a.cpu - (b?.cpu ?? 0);
    components[a.component] = (components[a.component] ?? 0) + d;
    cluster += d;
  }
  const seconds = (after.at - before.at) / 1000;
  const round2 = (x: number) => Math.round(x * 100) / 100;
  return {
    seconds: round2(seconds),
    components: Object.fromEntries(Object.entries(components).sort((x, y) => y[1] - x[1]).map(([k, v]) => [k, round2(v)])),
    machineCores: round2((after.machineBusy - before.machineBusy) / Math.max(seconds, 0.001)),
    clusterCores: round2(cluster / Math.max(seconds, 0.001)),
  };
}
