// A task's folder changes hands around its process on a pool with separateTaskUsers (the runner
// is root): before, the tree goes to the task's user with the node's group, its two top folders
// (the task's and its working directory) mode 0750 — the agent (in that group) still reads
// stdout.txt and lists the files while it runs, other tasks' users reach nothing; after, the
// tree goes back to the node's user (the owner of the folder it is in, which the agent made),
// the two top folders 0755, so the agent uploads and removes what the task left, whatever
// modes it gave, and later tasks of the job read (not write) it, as the job preparation
// task's folder is read.
import { chmod, lchown, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { ProcessUser } from "./task-users.ts";

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await lchown(path, uid, gid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, uid, gid);
    else await lchown(child, uid, gid);
  }
}

async function give(dir: string, cwd: string, uid: number, gid: number, mode: number): Promise<void> {
  await chownTree(dir, uid, gid);
  if (!cwd.startsWith(`${dir}/`)) await chownTree(cwd, uid, gid);
  for (const d of new Set([dir, cwd])) await chmod(d, mode);
}

/** `dir` and `cwd` (usually inside it) to `user`, group `nodeGid`. */
export function handOver(dir: string, cwd: string, user: ProcessUser, nodeGid: number): Promise<void> {
  return give(dir, cwd, user.uid, nodeGid, 0o750);
}

/**
 * The start task's folders to its user for good (Azure's start task user owns them), readable by
 * every task (they run what it installed there), writable by that user only.
 */
export function giveStartup(dir: string, cwd: string, user: ProcessUser): Promise<void> {
  return give(dir, cwd, user.uid, user.gid, 0o755);
}

/** Back to the node's user. */
export function handBack(dir: string, cwd: string, node: ProcessUser): Promise<void> {
  return give(dir, cwd, node.uid, node.gid, 0o755);
}
