// Which files an outputFiles pattern uploads. Patterns are relative to the task's working
// directory, and what they match must really be inside the task's directory (`../stdout.txt`
// is; `/var/run/secrets/…/token`, `../../x`, or a symlink the task made to a file elsewhere
// is not): each match's real path is checked, symlinks resolved, and what leaves is refused.
import { glob, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";

export type OutputFileMatches = {
  /** Files to upload: the path as matched (for the blob name) and its real path (what is read). */
  files: { path: string; real: string }[];
  /** Matches refused, with why (logged, and reported as a file upload error). */
  refused: { path: string; reason: string }[];
};

const inside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
};

export async function matchOutputFiles(pattern: string, workingDir: string, taskDir: string): Promise<OutputFileMatches> {
  const out: OutputFileMatches = { files: [], refused: [] };
  // The API refuses these; a spec from elsewhere (a container task's environment) is checked again.
  if (isAbsolute(pattern)) return { ...out, refused: [{ path: pattern, reason: "an absolute filePattern is not allowed: patterns are relative to the task's working directory" }] };
  const root = await realpath(taskDir);
  for await (const m of glob(pattern, { cwd: workingDir })) {
    const path = isAbsolute(m) ? m : join(workingDir, m);
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      continue; // a dangling symlink: nothing to upload
    }
    if (!inside(root, real)) {
      out.refused.push({ path, reason: `its real path ${real} is outside the task's directory ${taskDir}` });
      continue;
    }
    if ((await stat(real)).isFile()) out.files.push({ path, real });
  }
  return out;
}
