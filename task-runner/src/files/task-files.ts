// A task's folder on its node, as `kubatch task file list|get` reads it through the agent
// container (Azure Batch's task file list and get): the paths a user may name are relative to
// the task's folder (stdout.txt, wd/out.txt) and never reach outside it, not through `..` and
// not through a symbolic link the task made.
import { lstat, opendir, realpath } from "node:fs/promises";
import { isAbsolute, join, posix, relative, sep } from "node:path";

export type TaskFileEntry = { name: string; isDirectory: boolean; size: number; modified: string };

/** The task folder's real path, or an error saying the task has no folder on this node. */
function folderOf(taskDir: string): Promise<string> {
  return realpath(taskDir).catch(() => {
    throw new Error(`the task's folder ${taskDir} is not on this node (the task never ran here, or its folder was removed)`);
  });
}

/** Why `path` cannot name a file of a task's folder, or undefined when it can. */
export function taskFilePathProblem(path: string): string | undefined {
  if (path === "") return "the file path is empty";
  if (isAbsolute(path) || path.startsWith("/")) return `"${path}" is absolute: name a file relative to the task's folder (stdout.txt, wd/out.txt)`;
  if (path.split(/[\\/]/).includes("..")) return `"${path}" leaves the task's folder (it has a ".." segment)`;
  return undefined;
}

/** The real path of `path` in `taskDir`; an error naming it when it is outside, missing or not a file. */
export async function resolveTaskFile(taskDir: string, path: string): Promise<string> {
  const problem = taskFilePathProblem(path);
  if (problem) throw new Error(problem);
  const root = await folderOf(taskDir);
  const real = await realpath(join(root, path)).catch(() => {
    throw new Error(`no file "${path}" in the task's folder`);
  });
  if (real !== root && !real.startsWith(root + sep)) throw new Error(`"${path}" is a link that leads out of the task's folder`);
  const st = await lstat(real);
  if (!st.isFile()) throw new Error(`"${path}" is ${st.isDirectory() ? "a directory" : "not a regular file"}`);
  return real;
}

/**
 * Every entry under `taskDir`, depth first by name, at most `limit` (then `truncated`).
 * Links are listed, not followed: a link's size is its own.
 */
export async function listTaskFiles(taskDir: string, limit = 10_000): Promise<{ entries: TaskFileEntry[]; truncated: boolean }> {
  const entries: TaskFileEntry[] = [];
  const root = await folderOf(taskDir);
  const walk = async (dir: string): Promise<boolean> => {
    const names: string[] = [];
    for await (const d of await opendir(dir)) names.push(d.name);
    names.sort();
    for (const name of names) {
      if (entries.length >= limit) return false;
      const full = join(dir, name);
      const st = await lstat(full).catch(() => undefined); // removed while listed
      if (!st) continue;
      const rel = relative(root, full).split(sep).join(posix.sep);
      entries.push({ name: rel, isDirectory: st.isDirectory(), size: st.isDirectory() ? 0 : st.size, modified: st.mtime.toISOString() });
      if (st.isDirectory() && !(await walk(full))) return false;
    }
    return true;
  };
  const complete = await walk(root);
  return { entries, truncated: !complete };
}
