// What a work item (job schedule) should do now (pure): create its next job, wait, or
// complete; the Job it creates and the status that follows. Jobs are named `<workitem>-job-0000000001`, … ; at most one is active at a time;
// a run that could not start within its startWindow (the previous job was still active) is
// skipped. The status records the most recent job, so one deleted after it ran is not made again.
import type { KubernetesObject } from "@kubernetes/client-node";
import { setCondition } from "../../../api/conditions.ts";
import { isUnlimited, parseDuration } from "../../../api/duration.ts";
import { API_VERSION } from "../../../api/group.ts";
import { jobNames } from "../../../api/job.ts";
import { workItemLabel } from "../../../api/labels.ts";
import type { WorkItem, WorkItemStatus } from "../../../api/work-item.ts";
import { controllerRef } from "../../../kube/apply.ts";
import type { WorkItemObject } from "../../../kube/objects.ts";

export type OwnedJob = { name: string; index: number; completed: boolean; created: number };

export type SchedulePlan = {
  /** Index of the job to create now, if any. */
  create?: number;
  state: "Active" | "Completed" | "Disabled" | "Terminating";
  /** Terminating: the active jobs to terminate, with the reason. */
  terminate?: { jobs: string[]; reason: string };
  nextRunTime?: string;
  /** The due time of a run skipped now (its start window passed). */
  skippedRun?: string;
  /** When to look again even without events. */
  recheckAfterMs?: number;
};

export function jobName(workItem: string, index: number): string {
  return `${workItem}-job-${String(index).padStart(10, "0")}`;
}

export function jobIndex(workItem: string, name: string): number | undefined {
  if (!name.startsWith(`${workItem}-job-`)) return undefined;
  const digits = name.slice(workItem.length + 5);
  return /^\d{10}$/.test(digits) ? Number(digits) : undefined;
}

export type RecentJob = NonNullable<NonNullable<WorkItemStatus["executionInfo"]>["recentJob"]>;

/** How long a job the status records, but the cache does not hold, is taken to be on its way into the cache. */
export const cacheLagMs = 30_000;

/**
 * The jobs the work item made: those the cache holds, and the one its status records as the
 * most recent when the cache holds none as recent. That one was deleted after it ran: it counts
 * as completed, so neither it nor its run is made again. Made less than cacheLagMs ago, it is
 * taken to be still on its way into the cache (active), until `recheckAfterMs`.
 */
export function madeJobs(workItem: string, cached: readonly OwnedJob[], recent: RecentJob | undefined, now: Date): { jobs: OwnedJob[]; recheckAfterMs?: number } {
  const index = recent ? jobIndex(workItem, recent.name) : undefined;
  if (!recent || index === undefined || cached.some((j) => j.index >= index)) return { jobs: [...cached] };
  const created = recent.creationTime ? Date.parse(recent.creationTime) : 0;
  const lagLeft = created + cacheLagMs - now.getTime();
  return { jobs: [...cached, { name: recent.name, index, completed: lagLeft <= 0, created }], recheckAfterMs: lagLeft > 0 ? lagLeft : undefined };
}

/** The job of the highest index, if any. */
export function latestJob(jobs: readonly OwnedJob[]): OwnedJob | undefined {
  return jobs.reduce<OwnedJob | undefined>((m, j) => (!m || j.index > m.index ? j : m), undefined);
}

export function planSchedule(wi: WorkItem, jobs: readonly OwnedJob[], now: Date): SchedulePlan {
  const schedule = wi.spec.schedule ?? {};
  const t = now.getTime();
  const createdAt = wi.metadata.creationTimestamp;
  const start = schedule.doNotRunUntil ? Date.parse(schedule.doNotRunUntil) : createdAt ? Date.parse(String(createdAt instanceof Date ? createdAt.toISOString() : createdAt)) : t;
  const end = schedule.doNotRunAfter ? Date.parse(schedule.doNotRunAfter) : Infinity;
  const last = latestJob(jobs);
  const active = jobs.some((j) => !j.completed);
  if (t < start) return { state: "Active", nextRunTime: new Date(start).toISOString(), recheckAfterMs: start - t };

  // An unlimited recurrence (Azure's TimeSpan.MaxValue) never comes round again: one job, like none.
  if (!schedule.recurrenceInterval || isUnlimited(parseDuration(schedule.recurrenceInterval))) {
    if (!last) return t > end ? { state: "Completed" } : { create: 1, state: "Active" };
    return { state: active ? "Active" : "Completed" };
  }

  const interval = parseDuration(schedule.recurrenceInterval);
  const window = schedule.startWindow ? parseDuration(schedule.startWindow) : Infinity;
  const dueAt = start + Math.floor((t - start) / interval) * interval;
  const nextDue = dueAt + interval;
  const nextRunTime = nextDue <= end ? new Date(nextDue).toISOString() : undefined;
  const untilNext = nextDue - t;
  if (dueAt > end) return active ? { state: "Active", recheckAfterMs: 60_000 } : { state: "Completed" };
  if (last && last.created >= dueAt) return { state: "Active", nextRunTime, recheckAfterMs: untilNext };
  if (t - dueAt > window) return { state: "Active", nextRunTime, skippedRun: new Date(dueAt).toISOString(), recheckAfterMs: untilNext };
  if (active) {
    const windowLeft = window === Infinity ? untilNext : Math.max(1_000, dueAt + window - t + 1);
    return { state: "Active", nextRunTime: new Date(dueAt).toISOString(), recheckAfterMs: Math.min(untilNext, windowLeft) };
  }
  return { create: (last?.index ?? 0) + 1, state: "Active", nextRunTime, recheckAfterMs: untilNext };
}

/** The Ready reason of a work item completed by terminate (it stays completed). */
export const terminatedReason = "Terminated";

/**
 * The schedule's plan under the work item's controls (Azure Batch's job schedule disable,
 * enable and terminate). Terminate: no job is made again, the active ones are terminated
 * (Terminating until they complete), then Completed — for good, even if terminate is unset.
 * Disabled: no job is made (an active one runs on); enabling resumes the schedule, a run
 * missed meanwhile made when its start window allows.
 */
export function controlSchedule(
  plan: SchedulePlan,
  controls: { disabled: boolean; terminate: boolean; terminateReason?: string; completedByTerminate: boolean },
  jobs: readonly OwnedJob[],
): SchedulePlan {
  if (controls.completedByTerminate) return { state: "Completed" };
  if (controls.terminate) {
    const active = jobs.filter((j) => !j.completed).map((j) => j.name);
    if (active.length === 0) return { state: "Completed" };
    return { state: "Terminating", terminate: { jobs: active, reason: controls.terminateReason ?? "UserTerminate" } };
  }
  if (plan.state === "Completed" || !controls.disabled) return plan;
  return { state: "Disabled" };
}

/** The Job a run creates: the work item's jobSpecification as written, labelled and owned by it. */
export function scheduledJob(workItem: WorkItemObject, name: string): KubernetesObject {
  const { metadata } = workItem;
  return {
    apiVersion: API_VERSION,
    kind: jobNames.kind,
    metadata: { name, namespace: metadata?.namespace, labels: { [workItemLabel]: metadata?.name ?? "" }, ownerReferences: [controllerRef(workItem)] },
    spec: workItem.spec?.jobSpecification,
  } as KubernetesObject;
}

/** The status after the plan: state, next run, the most recent job (with its creation time, when known), and Ready. */
function readiness(plan: SchedulePlan, terminated: boolean): { reason: string; message: string } {
  switch (plan.state) {
    case "Completed":
      return terminated ? { reason: terminatedReason, message: "terminated: no more runs" } : { reason: "Completed", message: "no more runs" };
    case "Terminating":
      return { reason: "Terminating", message: `terminating job ${plan.terminate?.jobs.join(", ")} (${plan.terminate?.reason})` };
    case "Disabled":
      return { reason: "Disabled", message: "disabled: no job is created until it is enabled" };
    case "Active":
      return { reason: "Scheduled", message: plan.nextRunTime ? `next run at ${plan.nextRunTime}` : "running" };
  }
}

export function workItemStatus(o: {
  previous: WorkItemStatus | undefined;
  generation: number;
  plan: SchedulePlan;
  recentJob: Pick<OwnedJob, "name" | "created"> | undefined;
  now: Date;
  /** The work item was terminated (spec.terminate, now or before). */
  terminated?: boolean;
}): WorkItemStatus {
  const { plan, now } = o;
  const previous = o.previous ?? {};
  const { reason, message } = readiness(plan, o.terminated ?? false);
  return {
    observedGeneration: o.generation,
    conditions: setCondition(previous.conditions, { type: "Ready", status: "True", reason, message, observedGeneration: o.generation }, now),
    state: plan.state,
    stateTransitionTime: previous.state === plan.state && previous.stateTransitionTime ? previous.stateTransitionTime : now.toISOString(),
    executionInfo: {
      nextRunTime: plan.nextRunTime,
      recentJob: o.recentJob ? { name: o.recentJob.name, creationTime: o.recentJob.created > 0 ? new Date(o.recentJob.created).toISOString() : undefined } : undefined,
      endTime: plan.state === "Completed" ? (previous.executionInfo?.endTime ?? now.toISOString()) : undefined,
    },
  };
}
