// The node agent of a pool's node pod, seen from this machine: the real node runs it as a
// process in a container, so the suites can kill it the way the kernel's OOM killer or a
// crash would — from outside (inside its own PID namespace it is init, and SIGKILL from
// there is ignored).
import { readdirSync, readFileSync } from "node:fs";

/** PIDs (this machine's) of the agent processes of node pod `nodeId`. */
export function agentPids(nodeId: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (!argv.some((a) => a.endsWith("task-runner/src/main.ts")) || !argv.includes("agent")) continue;
      const env = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (env.includes(`AZ_BATCH_NODE_ID=${nodeId}`)) out.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return out;
}
