// Uploads a task's outputFiles after it ends, per uploadCondition. Patterns are relative to
// the task's working directory (so `../stdout.txt` names the task's stdout.txt).
import { glob, stat } from "node:fs/promises";
import { isAbsolute, join, relative } from "node:path";
import type { OutputFile } from "../../../api/output-file.ts";
import { containerClient, parseCredential } from "../fetch/blob-access.ts";

export type Uploaded = { file: string; blob: string; bytes: number };

export function shouldUpload(file: OutputFile, succeeded: boolean): boolean {
  const when = file.uploadOptions?.uploadCondition ?? "TaskCompletion";
  return when === "TaskCompletion" || (when === "TaskSuccess") === succeeded;
}

const hasWildcard = (pattern: string) => /[*?[]/.test(pattern);

export async function uploadOutputFiles(
  files: readonly OutputFile[],
  workingDir: string,
  succeeded: boolean,
  secretFor: (file: OutputFile) => Promise<string | undefined>,
): Promise<Uploaded[]> {
  const out: Uploaded[] = [];
  for (const [index, file] of files.entries()) {
    if (!shouldUpload(file, succeeded)) continue;
    try {
      const container = containerClient(file.destination.container.containerUrl, parseCredential(await secretFor(file)));
      const base = isAbsolute(file.filePattern) ? "/" : workingDir;
      const matches: string[] = [];
      for await (const m of glob(file.filePattern, { cwd: base })) {
        const path = isAbsolute(m) ? m : join(base, m);
        if ((await stat(path)).isFile()) matches.push(path);
      }
      const single = matches.length === 1 && !hasWildcard(file.filePattern);
      for (const path of matches) {
        const rel = relative(workingDir, path).replace(/^(\.\.\/)+/, "");
        const dest = file.destination.container.path;
        const blob = single && dest ? dest : dest ? `${dest.replace(/\/$/, "")}/${rel}` : rel;
        await container.getBlockBlobClient(blob).uploadFile(path);
        out.push({ file: path, blob, bytes: (await stat(path)).size });
      }
    } catch (err) {
      throw new Error(`outputFiles[${index}] (${file.filePattern}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  return out;
}
