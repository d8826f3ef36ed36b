// `task list --state`, `--node`, `--exit-code`: which tasks (and collection items) to show, by
// where they are in the life cycle (completed covers both results), where they ran, how they ended.
import type { Outcome, TaskRow } from "./task-row.ts";
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

/** `--exit-code N`: an integer (a task's exit code may be negative on Windows-born code; here any int). */
export function parseExitCodeFilter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new UsageError(`--exit-code: "${value}" is not an integer`);
  return Number(value);
}

/** Whether a row is on that node (its node pod name) and ended with that exit code; no filter shows all. */
export function matchesNodeAndExitCode(row: Pick<TaskRow, "node" | "exitCode">, filter: { node?: string; exitCode?: number }): boolean {
  return (filter.node === undefined || row.node === filter.node) && (filter.exitCode === undefined || row.exitCode === filter.exitCode);
}
