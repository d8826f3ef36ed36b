// The WorkItem reconciler: creates the schedule's jobs (server-side apply, owned by the work
// item so they go with it) and reports state, nextRunTime and recentJob (what it made, also
// after the job is deleted); schedule.ts decides.
import { GROUP, VERSION } from "../../../api/group.ts";
import { formatProblems } from "../../../api/parse.ts";
import { parseWorkItem, workItemNames } from "../../../api/work-item.ts";
import { reportInvalidSpec } from "../controller/invalid-spec.ts";
import type { Outcome } from "../controller/work-queue.ts";
import type { Writer } from "../../../kube/apply.ts";
import type { EventRecorder } from "../../../kube/events.ts";
import type { Cache } from "../pool/reconciler.ts";
import { jobIndex, jobName, latestJob, madeJobs, planSchedule, scheduledJob, workItemStatus, type OwnedJob } from "./schedule.ts";
import { workItemLabel } from "../../../api/labels.ts";
import type { JobObject, WorkItemObject } from "../../../kube/objects.ts";

export type WorkItemReconcilerDeps = {
  workItems: Cache<WorkItemObject>;
  jobs: Cache<JobObject>;
  writer: Writer;
  events: EventRecorder;
  now?: () => Date;
};

export function makeWorkItemReconciler(deps: WorkItemReconcilerDeps): (key: string) => Promise<Outcome> {
  const now = deps.now ?? (() => new Date());
  return async function reconcile(key: string): Promise<Outcome> {
    const [namespace, name] = key.split("/") as [string, string];
    const raw = deps.workItems.get(name, namespace);
    if (!raw || raw.metadata?.deletionTimestamp) return;
    const ref = { group: GROUP, version: VERSION, plural: workItemNames.plural, namespace, name };
    const parsed = parseWorkItem(raw);
    if (!parsed.ok) {
      await reportInvalidSpec(deps, raw, ref, "Ready", formatProblems(parsed.problems), now());
      return;
    }
    const wi = parsed.value;
    const owned: OwnedJob[] = [];
    for (const job of deps.jobs.list(namespace)) {
      if (job.metadata?.labels?.[workItemLabel] !== name) continue;
      const index = jobIndex(name, job.metadata?.name ?? "");
      const created = job.metadata?.creationTimestamp;
      if (index !== undefined) owned.push({ name: job.metadata!.name!, index, completed: job.status?.state === "Completed", created: created ? new Date(created).getTime() : 0 });
    }
    const at = now();
    const made = madeJobs(name, owned, raw.status?.executionInfo?.recentJob, at);
    const plan = planSchedule(wi, made.jobs, at);
    let recent: Pick<OwnedJob, "name" | "created"> | undefined = latestJob(made.jobs);
    if (plan.create !== undefined) {
      const job = jobName(name, plan.create);
      const applied = await deps.writer.apply(scheduledJob(raw, job));
      const created = applied.metadata?.creationTimestamp;
      recent = { name: job, created: created ? new Date(created).getTime() : at.getTime() };
      deps.events.record(raw, "Normal", "JobCreated", `created job ${job}`);
    }
    if (plan.skippedRun) deps.events.record(raw, "Warning", "RunSkipped", `the run due at ${plan.skippedRun} was skipped: its start window passed while the previous job was active`);
    await deps.writer.patchStatus(ref, raw.status, workItemStatus({ previous: raw.status, generation: raw.metadata?.generation ?? 0, plan, recentJob: recent, now: at }));
    const recheck = Math.min(plan.recheckAfterMs ?? Infinity, made.recheckAfterMs ?? Infinity);
    return recheck !== Infinity ? { requeueAfterMs: recheck } : undefined;
  };
}
