// What a work item (job schedule) should do now (pure): create its next job, wait, or
// complete. Jobs are named `<workitem>-job-0000000001`, … ; at most one is active at a time;
// a run that could not start within its startWindow (the previous job was still active) is
// skipped.
import { isUnlimited, parseDuration } from "../../../api/duration.ts";
import type { WorkItem } from "../../../api/work-item.ts";

export type OwnedJob = { name: string; index: number; completed: boolean; created: number };

export type SchedulePlan = {
  /** Index of the job to create now, if any. */
  create?: number;
  state: "Active" | "Completed";
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

export function planSchedule(wi: WorkItem, jobs: readonly OwnedJob[], now: Date): SchedulePlan {
  const schedule = wi.spec.schedule ?? {};
  const t = now.getTime();
  const createdAt = wi.metadata.creationTimestamp;
  const start = schedule.doNotRunUntil ? Date.parse(schedule.doNotRunUntil) : createdAt ? Date.parse(String(createdAt instanceof Date ? createdAt.toISOString() : createdAt)) : t;
  const end = schedule.doNotRunAfter ? Date.parse(schedule.doNotRunAfter) : Infinity;
  const last = jobs.reduce<OwnedJob | undefined>((m, j) => (!m || j.index > m.index ? j : m), undefined);
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
