// Which blocked tasks the scheduler tells why they wait (pure). The decision is made from the
// task's cached conditions, so an operator restart writes nothing for a task already told the
// same thing, and each pass writes a bounded number: a backlog (a restart after the reason
// changed for many tasks, a new job of 100 k waiting tasks) drains over several passes behind
// the assignments instead of starving them.
import { setCondition, type Condition } from "../../../api/conditions.ts";
import type { BlockedTask, TaskEntry } from "./dispatch-state.ts";

/** Explanation writes per dispatch pass; the rest wait for the next pass. */
export const explanationsPerPass = 100;

/** The API server's limit on a condition's message is 32 k; the scheduler's messages are kept short. */
const messageLimit = 1024;

export type Explanation = { task: TaskEntry; conditions: Condition[] };

/**
 * The Schedulable=False conditions to write now: only for tasks whose cached condition says
 * something else (lastTransitionTime kept while the status stays False), at most `limit`;
 * `more` says whether others were left for the next pass.
 */
export function explanationsDue(blocked: Iterable<BlockedTask>, now: Date, limit = explanationsPerPass): { due: Explanation[]; more: boolean } {
  const due: Explanation[] = [];
  for (const { task, reason, message } of blocked) {
    const update = { type: "Schedulable", status: "False" as const, reason, message: message.slice(0, messageLimit), observedGeneration: task.generation ?? 0 };
    const conditions = setCondition(task.conditions, update, now);
    if (conditions === task.conditions) continue;
    if (due.length === limit) return { due, more: true };
    due.push({ task, conditions });
  }
  return { due, more: false };
}
