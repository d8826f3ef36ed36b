// `task list --state`: which tasks (and collection items) to show, by where they are in the
// life cycle; completed covers both results.
import type { Outcome } from "./task-row.ts";
import { UsageError } from "./usage.ts";

export const stateFilters = ["active", "running", "completed", "succeeded", "failed"] as const;
export type StateFilter = (typeof stateFilters)[number];

export function parseStateFilter(value: string | undefined): StateFilter | undefined {
  if (value === undefined) return undefined;
  const state = value.toLowerCase();
  if (!(stateFilters as readonly string[]).includes(state)) throw new UsageError(`--state: "${value}" is not one of ${stateFilters.join(", ")}`);
  return state as StateFilter;
}

/** Whether a task of this outcome is shown; no filter shows all. */
export function matchesState(outcome: Outcome, filter: StateFilter | undefined): boolean {
  if (filter === undefined) return true;
  if (filter === "completed") return outcome === "succeeded" || outcome === "failed";
  return outcome === filter;
}
