// A task's folder changes hands around its process on a pool with separateTaskUsers (the runner
// is root): before, the tree goes to the task's user with the node's group, its two top folders
// (the task's and its working directory) mode 0750 — the agent (in that group) still reads
// stdout.txt and lists the files while it runs, other tasks' users reach nothing; after, the
// tree goes back to the node's user (the owner of the folder it is in, which the agent made),
// the two top folders 0755, so the agent uploads and removes what the task left, whatever
// modes it gave, and later tasks of the job read (not write) it, as the job preparation
// task's folder is read.
// The tree is the task's to rearrange, so the walk never follows a link: each folder is opened
// with O_NOFOLLOW and its entries reached through that open folder (/proc/self/fd/N/name), and
// entries are changed with lchown; a folder swapped for a link under the walk is not entered.
import { constants } from "node:fs";
import { lchown, open, readdir } from "node:fs/promises";
import type { ProcessUser } from "./task-users.ts";

const folderFlags = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** Owner of the folder at `path` and all in it; `mode` for that folder itself, if given. */
async function chownTree(path: string, uid: number, gid: number, mode?: number): Promise<void> {
  let folder;
  try {
    folder = await open(path, folderFlags);
  } catch (err) {
    // A link (ELOOP) or no folder (ENOTDIR) now: the entry itself, never what it points to.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ELOOP" || code === "ENOTDIR") return lchown(path, uid, gid);
    throw err;
  }
  try {
    await folder.chown(uid, gid);
    if (mode !== undefined) await folder.chmod(mode);
    const here = `/proc/self/fd/${folder.fd}`;
    for (const entry of await readdir(here, { withFileTypes: true })) {
      const child = `${here}/${entry.name}`;
      if (entry.isDirectory()) await chownTree(child, uid, gid);
      else await lchown(child, uid, gid);
    }
  } finally {
    await folder.close();
  }
}

/** Sets the mode of the folder at `path`, unless it is a link now (the task made it one). */
async function chmodFolder(path: string, mode: number): Promise<void> {
  const folder = await open(path, folderFlags).catch(() => undefined);
  if (!folder) return;
  try {
    await folder.chmod(mode);
  } finally {
    await folder.close();
  }
}

async function give(dir: string, cwd: string, uid: number, gid: number, mode: number): Promise<void> {
  await chownTree(dir, uid, gid, mode);
  if (cwd.startsWith(`${dir}/`)) await chmodFolder(cwd, mode);
  else await chownTree(cwd, uid, gid, mode);
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
