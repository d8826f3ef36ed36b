// The WorkItem reconciler: creates the schedule's jobs (server-side apply, owned by the work
// item so they go with it), terminates its active job when the work item is terminated, and
// reports state (Active, Disabled, Terminating, Completed, Deleting), nextRunTime and recentJob
// (what it made, also after the job is deleted); schedule.ts decides.
import { setCondition } from "../../../api/conditions.ts";
import { API_VERSION, GROUP, VERSION } from "../../../api/group.ts";
import { jobNames } from "../../../api/job.ts";
import { formatProblems } from "../../../api/parse.ts";
import { parseWorkItem, workItemNames } from "../../../api/work-item.ts";
import { reportInvalidSpec } from "../controller/invalid-spec.ts";
import type { Outcome } from "../controller/work-queue.ts";
import type { Writer } from "../../../kube/apply.ts";
import type { EventRecorder } from "../../../kube/events.ts";
import type { Cache } from "../pool/reconciler.ts";
import { controlSchedule, jobIndex, jobName, latestJob, madeJobs, planSchedule, scheduledJob, terminatedReason, workItemStatus, type OwnedJob } from "./schedule.ts";
import { workItemLabel } from "../../../api/labels.ts";
import type { JobObject, WorkItemObject } from "../../../kube/objects.ts";

export type WorkItemReconcilerDeps = {
  workItems: Cache<WorkItemObject>;
  jobs: Cache<JobObject>;
  writer: Writer;
  events: EventRecorder;
  now?: () => Date;
};

/**
 * The field manager of the `spec.terminate` a terminated work item sets on its active job: not
 * the operator's main one, whose apply of the job (its whole spec) must not take it back.
 */
export const workItemFieldManager = "kubatch-operator-workitem";

export function makeWorkItemReconciler(deps: WorkItemReconcilerDeps): (key: string) => Promise<Outcome> {
  const now = deps.now ?? (() => new Date());
  return async function reconcile(key: string): Promise<Outcome> {
    const [namespace, name] = key.split("/") as [string, string];
    const raw = deps.workItems.get(name, namespace);
    if (!raw) return;
    const ref = { group: GROUP, version: VERSION, plural: workItemNames.plural, namespace, name };
    if (raw.metadata?.deletionTimestamp) {
      // Held while its jobs go (foreground deletion, a finalizer): Azure's Deleting.
      if (raw.status?.state !== "Deleting") {
        const at = now();
        const generation = raw.metadata?.generation ?? 0;
        const conditions = setCondition(raw.status?.conditions, { type: "Ready", status: "False", reason: "Deleting", message: "being deleted: its jobs go first", observedGeneration: generation }, at);
        await deps.writer.patchStatus(ref, raw.status, { state: "Deleting", stateTransitionTime: at.toISOString(), conditions });
      }
      return;
    }
    const parsed = parseWorkItem(raw);
    if (!parsed.ok) {
      await reportInvalidSpec(deps, raw, ref, "Ready", formatProblems(parsed.problems), now());
      return;
    }
    const wi = parsed.value;
    const owned: OwnedJob[] = [];
    const terminating = new Set<string>();
    for (const job of deps.jobs.list(namespace)) {
      if (job.metadata?.labels?.[workItemLabel] !== name) continue;
      const index = jobIndex(name, job.metadata?.name ?? "");
      const created = job.metadata?.creationTimestamp;
      if (index !== undefined) owned.push({ name: job.metadata!.name!, index, completed: job.status?.state === "Completed", created: created ? new Date(created).getTime() : 0 });
      if (job.spec?.terminate) terminating.add(job.metadata!.name!);
    }
    const at = now();
    const made = madeJobs(name, owned, raw.status?.executionInfo?.recentJob, at);
    const previousReason = raw.status?.conditions?.find((c) => c.type === "Ready")?.reason;
    // Terminate cannot be undone: Terminating goes on, and Completed stays, if it is unset.
    const completedByTerminate = raw.status?.state === "Completed" && previousReason === terminatedReason;
    const terminate = wi.spec.terminate || raw.status?.state === "Terminating";
    const controls = { disabled: wi.spec.disabled, terminate, terminateReason: wi.spec.terminateReason, completedByTerminate };
    // A job made a moment ago and not in the cache yet counts as active (made.jobs): the work
    // item stays Terminating, looked at again, until the cache has it to terminate.
    const plan = controlSchedule(planSchedule(wi, made.jobs, at), controls, made.jobs);
    const cached = new Set(owned.map((j) => j.name));
    for (const job of plan.terminate?.jobs ?? []) {
      if (terminating.has(job) || !cached.has(job)) continue;
      await deps.writer.apply({ apiVersion: API_VERSION, kind: jobNames.kind, metadata: { name: job, namespace }, spec: { terminate: true, terminateReason: plan.terminate!.reason } }, workItemFieldManager);
      deps.events.record(raw, "Normal", "TerminatingJob", `terminating job ${job}: the work item was terminated (${plan.terminate!.reason})`);
    }
    let recent: Pick<OwnedJob, "name" | "created"> | undefined = latestJob(made.jobs);
    if (plan.create !== undefined) {
      const job = jobName(name, plan.create);
      const applied = await deps.writer.apply(scheduledJob(raw, job));
      const created = applied.metadata?.creationTimestamp;
      recent = { name: job, created: created ? new Date(created).getTime() : at.getTime() };
      deps.events.record(raw, "Normal", "JobCreated", `created job ${job}`);
    }
    if (plan.skippedRun) deps.events.record(raw, "Warning", "RunSkipped", `the run due at ${plan.skippedRun} was skipped: its start window passed while the previous job was active`);
    const terminated = terminate || completedByTerminate;
    await deps.writer.patchStatus(ref, raw.status, workItemStatus({ previous: raw.status, generation: raw.metadata?.generation ?? 0, plan, recentJob: recent, now: at, terminated }));
    const recheck = Math.min(plan.recheckAfterMs ?? Infinity, made.recheckAfterMs ?? Infinity);
    return recheck !== Infinity ? { requeueAfterMs: recheck } : undefined;
  };
}
