// What a real node leaves on the host once its processes are gone, and how `down` (and the
// next `up` after a crash) removes it: the processes left in its pods' cgroups, the mounts
// under its state folder (container root filesystems, pod network namespaces, volumes), its
// network namespace and the host's end of its link, and the kubelet's log symlinks.
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeNetwork, type NodeNetwork } from "./network.ts";

const cgroupBase = "/sys/fs/cgroup";

/** Unified (cgroup v2 only) when the root itself is a cgroup; else one folder per v1 hierarchy (and the hybrid `unified`). */
function hierarchies(): string[] {
  if (existsSync(join(cgroupBase, "cgroup.controllers"))) return [cgroupBase];
  return (existsSync(cgroupBase) ? readdirSync(cgroupBase) : []).map((h) => join(cgroupBase, h)).filter((d) => lstatSync(d).isDirectory());
}

/** Every cgroup folder of this node, in each hierarchy, deepest first. */
export function nodeCgroups(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      const path = join(dir, e);
      try {
        if (lstatSync(path).isDirectory()) walk(path);
      } catch {
        // Removed meanwhile.
      }
    }
    found.push(dir);
  };
  for (const hierarchy of hierarchies()) {
    const dir = join(hierarchy, root);
    if (existsSync(dir)) walk(dir);
  }
  return found;
}

function procsOf(cgroup: string): number[] {
  try {
    return readFileSync(join(cgroup, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The node's cgroup in every hierarchy (the kubelet requires its cgroupRoot to exist). */
export function createCgroups(root: string): void {
  for (const parent of hierarchies()) {
    const dir = join(parent, root);
    mkdirSync(dir, { recursive: true });
    // cgroup v2: the node's cgroup hands the kubelet's controllers down to its children.
    if (parent === cgroupBase && existsSync(join(dir, "cgroup.subtree_control"))) {
      const available = readFileSync(join(dir, "cgroup.controllers"), "utf8").split(/\s+/).filter(Boolean);
      const want = ["cpu", "cpuset", "memory", "pids", "io", "hugetlb"].filter((c) => available.includes(c));
      if (want.length > 0) writeFileSync(join(dir, "cgroup.subtree_control"), want.map((c) => `+${c}`).join(" "));
    }
    // A v1 cpuset starts with no CPUs or memory nodes: inherit the parent's.
    for (const f of ["cpuset.cpus", "cpuset.mems"]) {
      if (existsSync(join(parent, f)) && readFileSync(join(dir, f), "utf8").trim() === "") writeFileSync(join(dir, f), readFileSync(join(parent, f), "utf8"));
    }
  }
}

/** SIGKILLs every process in the node's cgroups, then removes the cgroups; bounded. */
export async function removeCgroups(root: string, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const groups = nodeCgroups(root);
    if (groups.length === 0) return;
    let procs = 0;
    for (const g of groups) {
      for (const pid of procsOf(g)) {
        procs++;
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Gone.
        }
      }
    }
    for (const g of groups) {
      try {
        rmdirSync(g);
      } catch {
        // Still has processes (they are dying) or children: next round.
      }
    }
    if (nodeCgroups(root).length === 0) return;
    if (Date.now() > deadline) {
      log(`cgroups under ${root} still busy after 15 s (${procs} processes): left in place`);
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Mount points at or under dir, deepest first (from /proc/self/mountinfo). */
export function mountsUnder(dir: string, mountinfo = readFileSync("/proc/self/mountinfo", "utf8")): string[] {
  const points = mountinfo
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split(" ")[4]!.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export function unmountUnder(dir: string, log: (line: string) => void): void {
  for (let round = 0; round < 5; round++) {
    const points = mountsUnder(dir);
    if (points.length === 0) return;
    for (const p of points) {
      try {
        execFileSync("umount", [p], { stdio: "ignore" });
      } catch {
        try {
          execFileSync("umount", ["--lazy", p], { stdio: "ignore" });
        } catch {
          // Unmounted by its parent meanwhile.
        }
      }
    }
  }
  const left = mountsUnder(dir);
  if (left.length > 0) log(`mounts still under ${dir}: ${left.join(", ")}`);
}

/** The kubelet links /var/log/containers/* to its pod logs; drop the links into ours. */
export function removeLogLinks(podLogsDir: string): void {
  const dir = "/var/log/containers";
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) {
    const path = join(dir, f);
    try {
      if (readlinkSync(path).startsWith(`${podLogsDir}/`)) rmSync(path, { force: true });
    } catch {
      // Not a link.
    }
  }
}

export type NodeLeftovers = { net: NodeNetwork; cgroupRoot: string; podLogsDir: string };

/** Runs after the node's own processes stopped: its slot's cgroups, namespace, link and log links go (the state folder's mounts: unmountUnder). */
export async function removeNodeLeftovers(l: NodeLeftovers, log: (line: string) => void): Promise<void> {
  await removeCgroups(l.cgroupRoot, log);
  removeNetwork(l.net);
  removeLogLinks(l.podLogsDir);
}
