// What this node knows about each job, kept in the job's folder on the node
// (`workitems/<job>/job-1/kubatch-job.json`, a name no task id can take): that it ran the
// job's tasks, its job preparation task's outcome and its job release task's outcome. It
// survives an agent restart in the same node pod, so neither task runs twice there; a new
// node pod starts with an empty root directory and knows nothing.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { nodeLayout } from "../../../api/node-layout.ts";

export type RunRecord = { result: "Success" | "Failure"; exitCode?: number; startTime: string; endTime: string; retryCount?: number; failureCode?: string };

export type JobRecord = {
  /** The Job's uid: a job deleted and created again under the same name starts afresh. */
  jobUid: string;
  /** The node that wrote the record (a root directory kept across node pods has another one). */
  nodeId: string;
  /** A task of the job started on this node (or at least waited for its preparation here). */
  ranTasks?: boolean;
  preparation?: RunRecord;
  release?: RunRecord;
};

export const recordFileName = "kubatch-job.json";

/** Per-job records, loaded once from disk, written whole (temp file + rename) one write at a time per job. */
export class JobRecords {
  private readonly rootDir: string;
  private readonly nodeId: string;
  private readonly cache = new Map<string, Promise<JobRecord | undefined>>();
  private readonly writes = new Map<string, Promise<unknown>>();

  constructor(rootDir: string, nodeId: string) {
    this.rootDir = rootDir;
    this.nodeId = nodeId;
  }

  /** The record of this job (this uid), if any. */
  async get(jobId: string, jobUid: string): Promise<JobRecord | undefined> {
    const rec = await this.load(jobId);
    return rec?.jobUid === jobUid ? rec : undefined;
  }

  /** Applies change to the job's record (a fresh one for a new uid) and writes it. */
  update(jobId: string, jobUid: string, change: (r: JobRecord) => JobRecord): Promise<JobRecord> {
    const previous = this.writes.get(jobId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(async () => {
      const current = await this.get(jobId, jobUid);
      const updated = change(current ?? { jobUid, nodeId: this.nodeId });
      const dir = nodeLayout(this.rootDir).jobDir(jobId);
      await mkdir(dir, { recursive: true });
      const tmp = join(dir, `.${recordFileName}.tmp`);
      await writeFile(tmp, JSON.stringify(updated, null, 2) + "\n");
      await rename(tmp, join(dir, recordFileName));
      this.cache.set(jobId, Promise.resolve(updated));
      return updated;
    });
    this.writes.set(jobId, next);
    void next.finally(() => {
      if (this.writes.get(jobId) === next) this.writes.delete(jobId);
    }).catch(() => undefined);
    return next;
  }

  private load(jobId: string): Promise<JobRecord | undefined> {
    let rec = this.cache.get(jobId);
    if (!rec) {
      rec = readFile(join(nodeLayout(this.rootDir).jobDir(jobId), recordFileName), "utf8").then(
        (text) => parseRecord(text),
        () => undefined,
      );
      this.cache.set(jobId, rec);
    }
    return rec;
  }
}

/** A record read from disk, or undefined when it is not one (a torn or foreign file counts as none). */
export function parseRecord(text: string): JobRecord | undefined {
  try {
    const r = JSON.parse(text) as JobRecord;
    return typeof r === "object" && r !== null && typeof r.jobUid === "string" && typeof r.nodeId === "string" ? r : undefined;
  } catch {
    return undefined;
  }
}
