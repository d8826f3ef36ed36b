// A folder on this machine that a pool's node containers see at the same path: the suites'
// tasks leave their marks there (start/end times, runs) for the test to read. The node runs
// real containers, so the folder reaches them as a hostPath volume through the pool's
// podTemplate, writable by the node pod's non-root user.
import { chmodSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function hostFolder(prefix: string, parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, prefix));
  chmodSync(dir, 0o1777);
  return dir;
}

/** Pool spec fields that mount `dir` into the node's containers (the agent, and the tasks container where every task runs) at `dir`. */
export function mountHostFolder(dir: string): { podTemplate: object } {
  return {
    podTemplate: {
      spec: {
        volumes: [{ name: "host-folder", hostPath: { path: dir, type: "Directory" } }],
        containers: ["agent", "tasks"].map((name) => ({ name, volumeMounts: [{ name: "host-folder", mountPath: dir }] })),
      },
    },
  };
}
