// The pool a job's tasks run on: spec.poolInfo.poolId, or the generated name of its auto pool.
// Deterministic, so every component (scheduler, job status, CLI, the auto-pool controller)
// derives the same name without reading anything but the job.
import { createHash } from "node:crypto";
import type { JobSpecInput } from "./job.ts";
import type { ObjectMeta } from "./metadata.ts";
import { workItemLabel } from "./labels.ts";

/** A Job as read (parsed or not): only its name, labels and spec.poolInfo are looked at. */
type JobLike = { metadata?: Partial<Pick<ObjectMeta, "name" | "labels">>; spec?: Partial<Pick<JobSpecInput, "poolInfo">> };

const maxPoolName = 63;

/** `<prefix>-<owner>` (prefix default "auto"); the owner is the work item under JobSchedule lifetime, else the job. */
export function autoPoolName(prefix: string | undefined, owner: string): string {
  const name = `${prefix ?? "auto"}-${owner}`;
  if (name.length <= maxPoolName) return name;
  const hash = createHash("sha256").update(owner).digest("hex").slice(0, 8);
  return `${name.slice(0, maxPoolName - 9).replace(/-+$/, "")}-${hash}`;
}

/** The pool name of a job; "" when neither poolId nor an auto pool is given (invalid spec). */
export function poolIdOf(job: JobLike): string {
  const info = job.spec?.poolInfo;
  if (info?.poolId) return info.poolId;
  const auto = info?.autoPoolSpecification;
  if (!auto) return "";
  const workItem = job.metadata?.labels?.[workItemLabel];
  const owner = auto.poolLifetimeOption === "JobSchedule" && workItem ? workItem : (job.metadata?.name ?? "");
  return autoPoolName(auto.autoPoolIdPrefix, owner);
}
