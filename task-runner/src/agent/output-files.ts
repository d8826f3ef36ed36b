// Uploads a task's outputFiles after it ends, per uploadCondition. Patterns are relative to
// the task's working directory (so `../stdout.txt` names the task's stdout.txt); nothing
// outside the task's directory is uploaded (output-file-matches.ts).
import { stat } from "node:fs/promises";
import { relative } from "node:path";
import type { OutputFile } from "../../../api/output-file.ts";
import { containerClient, parseCredential } from "../../../storage/blob-access.ts";
import { matchOutputFiles } from "./output-file-matches.ts";

export type Uploaded = { file: string; blob: string; bytes: number };

export function shouldUpload(file: OutputFile, succeeded: boolean): boolean {
  const when = file.uploadOptions?.uploadCondition ?? "TaskCompletion";
  return when === "TaskCompletion" || (when === "TaskSuccess") === succeeded;
}

const hasWildcard = (pattern: string) => /[*?[]/.test(pattern);

/**
 * Uploads what each pattern matches. A match outside the task's directory is skipped and
 * logged; the other files still go, then the upload fails naming what was refused (the
 * task's FileUploadError, as when an upload itself fails).
 */
export async function uploadOutputFiles(
  files: readonly OutputFile[],
  dirs: { workingDir: string; taskDir: string },
  succeeded: boolean,
  secretFor: (file: OutputFile) => Promise<string | undefined>,
  log: (line: string) => void = () => undefined,
): Promise<Uploaded[]> {
  const out: Uploaded[] = [];
  const refused: string[] = [];
  for (const [index, file] of files.entries()) {
    if (!shouldUpload(file, succeeded)) continue;
    try {
      const container = containerClient(file.destination.container.containerUrl, parseCredential(await secretFor(file)));
      const matches = await matchOutputFiles(file.filePattern, dirs.workingDir, dirs.taskDir);
      for (const r of matches.refused) {
        log(`outputFiles[${index}] (${file.filePattern}): not uploading ${r.path}: ${r.reason}`);
        refused.push(`outputFiles[${index}] (${file.filePattern}): ${r.path}: ${r.reason}`);
      }
      const single = matches.files.length === 1 && !hasWildcard(file.filePattern);
      for (const { path, real } of matches.files) {
        const rel = relative(dirs.workingDir, path).replace(/^(\.\.\/)+/, "");
        const dest = file.destination.container.path;
        const blob = single && dest ? dest : dest ? `${dest.replace(/\/$/, "")}/${rel}` : rel;
        await container.getBlockBlobClient(blob).uploadFile(real);
        out.push({ file: path, blob, bytes: (await stat(real)).size });
      }
    } catch (err) {
      throw new Error(`outputFiles[${index}] (${file.filePattern}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  if (refused.length > 0) throw new Error(`not uploaded, outside the task's directory: ${refused.join("; ")}`);
  return out;
}
