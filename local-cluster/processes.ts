// Every process a cluster starts carries KUBATCH_CLUSTER_ID=<its state folder> in its
// environment, and the local node passes it on to the pods' processes. `down` finds them
// all through /proc, so nothing the cluster started survives it, whoever started it.
import { spawn } from "node:child_process";
import { openSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const clusterIdVar = "KUBATCH_CLUSTER_ID";

export type Started = { name: string; pid: number; log: string };

export function startDetached(name: string, command: string, args: string[], opts: { clusterId: string; logDir: string; env?: NodeJS.ProcessEnv; cwd?: string }): Started {
  const log = join(opts.logDir, `${name}.log`);
  const fd = openSync(log, "a");
  const child = spawn(command, args, {
    cwd: opts.cwd,
    detached: true,
    stdio: ["ignore", fd, fd],
    env: { ...process.env, ...opts.env, [clusterIdVar]: opts.clusterId },
  });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  return { name, pid: child.pid, log };
}

/** Running, not just present: an exited child its parent has not reaped yet is a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "latin1"));
  } catch {
    return false;
  }
}

/** Pids of live processes whose environment carries this cluster's id. */
export function clusterProcesses(clusterId: string): number[] {
  const marker = `${clusterIdVar}=${clusterId}\0`;
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "latin1") + "\0";
      const state = readFileSync(`/proc/${entry}/stat`, "latin1");
      // Zombies keep their environment until reaped; they are already dead.
      if (environ.includes(marker) && !/\) Z /.test(state)) pids.push(pid);
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** SIGTERM, a grace period, then SIGKILL for whatever is left; bounded in time. */
export async function stopAll(clusterId: string, graceMs = 10_000, log: (line: string) => void = () => {}): Promise<number> {
  const pids = clusterProcesses(clusterId);
  for (const pid of pids) signal(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  let left = pids;
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = clusterProcesses(clusterId);
  }
  for (const pid of left) {
    log(`killing ${pid} after ${graceMs} ms`);
    signal(pid, "SIGKILL");
  }
  const killDeadline = Date.now() + 5_000;
  while (clusterProcesses(clusterId).length > 0 && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 100));
  return pids.length;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}
