// CPU of the node pods' own processes, seen from this machine: each node pod runs an agent
// (watches, chunk records, status writes) and a runner (spawns the items' processes and
// captures their output), both `task-runner/src/main.ts` in containers — they carry no
// KUBATCH_CLUSTER_ID, so components.ts does not see them. Found by AZ_BATCH_NODE_ID, which
// names the node pod; a runner's "children" CPU is that of the item processes it waited for.
import { readdirSync, readFileSync } from "node:fs";

const clockTicks = 100; // sysconf(_SC_CLK_TCK) on Linux

export type NodeRole = "agent" | "runner";

/** The role of a process from its argv and environment, when it is the agent or runner of one of `nodeIds`. */
export function nodeRole(argv: readonly string[], environ: readonly string[], nodeIds: ReadonlySet<string>): NodeRole | undefined {
  const at = argv.findIndex((a) => a.endsWith("task-runner/src/main.ts"));
  if (at < 0) return undefined;
  const role = argv[at + 1];
  if (role !== "agent" && role !== "runner") return undefined;
  const id = environ.find((e) => e.startsWith("AZ_BATCH_NODE_ID="))?.slice("AZ_BATCH_NODE_ID=".length);
  return id !== undefined && nodeIds.has(id) ? role : undefined;
}

/** CPU seconds of the process itself (utime + stime) and of its waited-for children (cutime + cstime), from /proc/<pid>/stat. */
export function statCpu(stat: string): { self: number; children: number } {
  // Fields after the command name (which may hold spaces and parentheses) start at field 3.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).trim().split(/\s+/);
  const n = (i: number) => Number(rest[i]);
  const [utime, stime, cutime, cstime] = [n(11), n(12), n(13), n(14)];
  if (![utime, stime, cutime, cstime].every(Number.isFinite)) throw new Error(`not a /proc/<pid>/stat line: ${stat.slice(0, 80)}`);
  return { self: (utime + stime) / clockTicks, children: (cutime + cstime) / clockTicks };
}

export type NodeCpuSnapshot = Map<number, { role: NodeRole; self: number; children: number }>;

export function nodeCpuSnapshot(nodeIds: ReadonlySet<string>): NodeCpuSnapshot {
  const out: NodeCpuSnapshot = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (!argv.some((a) => a.endsWith("task-runner/src/main.ts"))) continue;
      const role = nodeRole(argv, readFileSync(`/proc/${entry}/environ`, "utf8").split("\0"), nodeIds);
      if (role) out.set(Number(entry), { role, ...statCpu(readFileSync(`/proc/${entry}/stat`, "utf8")) });
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

export type NodeCpu = { processes: number; agentSeconds: number; runnerSeconds: number; itemProcessSeconds: number };

/** CPU seconds over an interval, by role; a process seen only at the end counts from zero. */
export function nodeCpuUse(before: NodeCpuSnapshot, after: NodeCpuSnapshot): NodeCpu {
  const sum = { agentSeconds: 0, runnerSeconds: 0, itemProcessSeconds: 0 };
  for (const [pid, a] of after) {
    const b = before.get(pid);
    const self = a.self - (b?.self ?? 0);
    if (a.role === "agent") sum.agentSeconds += self;
    else {
      sum.runnerSeconds += self;
      sum.itemProcessSeconds += a.children - (b?.children ?? 0);
    }
  }
  const r = (x: number) => Math.round(x * 100) / 100;
  return { processes: after.size, agentSeconds: r(sum.agentSeconds), runnerSeconds: r(sum.runnerSeconds), itemProcessSeconds: r(sum.itemProcessSeconds) };
}
