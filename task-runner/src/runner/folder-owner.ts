// A task's working directory changes hands around its process on a pool with separateTaskUsers
// (the runner is root). Before: the working directory's tree goes to the task's user (group:
// the node's, so the agent still lists it while the task runs; mode 0750, so no other task's
// user reaches it), and the task's folder — where the runner itself writes stdout.txt and
// stderr.txt — stays the node user's with the task's group, mode 0750: the task reads its
// output files there but cannot swap them for links, and no other task's user enters. After:
// everything back to the node's user (folders 0755, owner read/write on what the task left,
// whatever modes it gave), so the agent uploads and removes it and later tasks of the job read
// (not write) it, as the job preparation task's folder is read.
// The tree is the task's to rearrange, so the walk never follows a link: each folder is opened
// with O_NOFOLLOW and its entries reached through that open folder (/proc/self/fd/N/name);
// files are opened O_NOFOLLOW too and changed through the open file; and only entries owned by
// the user the tree is taken from change hands — a file hard-linked in from elsewhere keeps
// its owner.
import { constants } from "node:fs";
import { lstat, open, readdir, type FileHandle } from "node:fs/promises";
import type { ProcessUser } from "./task-users.ts";

const folderFlags = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
const fileFlags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

type Change = { to: ProcessUser; from?: number; folderMode?: number; ownerAccess?: boolean };

/** Opens `path` with `flags`, or undefined when it is a link, gone or something else now. */
async function openNoFollow(path: string, flags: number): Promise<FileHandle | undefined> {
  try {
    return await open(path, flags);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ELOOP" || code === "ENOTDIR" || code === "ENOENT" || code === "ENXIO") return undefined;
    throw err;
  }
}

async function changeOpen(fh: FileHandle, c: Change, folder: boolean, top = false): Promise<void> {
  const st = await fh.stat();
  // The top folder is the runner's to give whoever made it (the agent, or the runner itself).
  if (!top && c.from !== undefined && st.uid !== c.from) return;
  await fh.chown(c.to.uid, c.to.gid);
  if (folder && c.folderMode !== undefined) await fh.chmod(c.folderMode);
  else if (c.ownerAccess) await fh.chmod((st.mode & 0o7777) | (folder ? 0o700 : 0o600));
}

/** The folder at `path` and the tree in it; `folderMode` for that folder itself. */
async function changeTree(path: string, c: Change, top = true): Promise<void> {
  const folder = await openNoFollow(path, folderFlags);
  if (!folder) return;
  try {
    await changeOpen(folder, c, true, top);
    // The mode is for the top folder only.
    const inner = { ...c, folderMode: undefined };
    const here = `/proc/self/fd/${folder.fd}`;
    for (const entry of await readdir(here, { withFileTypes: true })) {
      const child = `${here}/${entry.name}`;
      if (entry.isDirectory()) await changeTree(child, inner, false);
      else if (entry.isFile()) {
        const file = await openNoFollow(child, fileFlags);
        if (file) await changeOpen(file, inner, false).finally(() => file.close());
      }
      // Links, sockets and pipes keep their owner: nothing reads them as files.
    }
  } finally {
    await folder.close();
  }
}

/** Just the folder at `path` (not its entries). */
async function changeFolder(path: string, to: ProcessUser, mode: number): Promise<void> {
  const folder = await openNoFollow(path, folderFlags);
  if (!folder) return;
  try {
    await folder.chown(to.uid, to.gid);
    await folder.chmod(mode);
  } finally {
    await folder.close();
  }
}

/** The owner of the folder at `path` (the node's user, for the folder a task's folder is in). */
export async function ownerOf(path: string): Promise<ProcessUser> {
  const st = await lstat(path);
  return { uid: st.uid, gid: st.gid };
}

/** Before the task's process: `cwd`'s tree to `user` (from `node`), `dir` itself the node's with the task's group. */
export async function handOver(dir: string, cwd: string, user: ProcessUser, node: ProcessUser): Promise<void> {
  await changeTree(cwd, { to: { uid: user.uid, gid: node.gid }, from: node.uid, folderMode: 0o750 });
  if (dir !== cwd) await changeFolder(dir, { uid: node.uid, gid: user.gid }, 0o750);
}

/** After it: what `user` owns in `cwd` back to `node`, with owner access; both folders 0755. */
export async function handBack(dir: string, cwd: string, user: ProcessUser, node: ProcessUser): Promise<void> {
  await changeTree(cwd, { to: node, from: user.uid, folderMode: 0o755, ownerAccess: true });
  if (dir !== cwd) await changeFolder(dir, node, 0o755);
}

/**
 * The start task's working directory to its user for good (Azure's start task user owns it),
 * readable by every task (they run what it installed there), writable by that user only; the
 * startup folder itself, where the runner keeps its record, stays as it is.
 */
export function giveStartup(cwd: string, user: ProcessUser): Promise<void> {
  return changeTree(cwd, { to: user, folderMode: 0o755 });
}
