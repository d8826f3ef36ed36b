// What keeps a job's tasks from completing, for `kubatch job wait` when it gives up: the job's
// own conditions that say False with a reason (its pool missing, …) or its disabled state, and
// why its active tasks wait (their Schedulable=False reasons, counted).
import type { JobObject } from "../kube/objects.ts";
import type { TaskSummary } from "./task-watch.ts";

/** Job conditions whose False is a blocker (the others, such as Completed or AllTasksComplete, just say "not yet"). */
const blockingConditions = new Set(["PoolReady"]);

export function jobBlockers(job: JobObject | undefined, tasks: Iterable<TaskSummary>): string[] {
  const out: string[] = [];
  for (const c of job?.status?.conditions ?? []) {
    if (blockingConditions.has(c.type) && c.status === "False") out.push(`job: ${c.type}=False ${c.reason ?? ""}${c.message ? `: ${c.message}` : ""}`);
  }
  const state = job?.status?.state;
  if (state === "Disabled" || state === "Disabling") out.push(`job: ${state} (spec.disabled): no task starts until it is enabled (kubatch job enable)`);
  const waiting = new Map<string, number>();
  let active = 0;
  for (const t of tasks) {
    if (t.outcome !== "active") continue;
    active++;
    if (t.waiting) waiting.set(t.waiting, (waiting.get(t.waiting) ?? 0) + 1);
  }
  if (waiting.size > 0) {
    const reasons = [...waiting].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([r, n]) => `${r} (${n})`);
    out.push(`tasks: ${active} active, waiting for: ${reasons.join(", ")} (kubectl get ktask shows each one's reason under WAITING)`);
  }
  return out;
}
