// One line per task for `task list` and `job wait`: the status fields a user scans for,
// derived from the Task object alone (pure, so it is unit-tested).
import { nodeLabel } from "../api/labels.ts";
import { taskJob } from "./kube.ts";
import type { TaskObject } from "../kube/objects.ts";

export type Outcome = "active" | "running" | "succeeded" | "failed";

export interface TaskRow {
  name: string;
  job: string;
  state: string;
  result: string;
  node: string;
  pool: string;
  exitCode: number | undefined;
  retries: number;
  requeues: number;
  /** Run time so far (running) or in total (completed), in ms. */
  durationMs: number | undefined;
  failureCode: string;
  failureMessage: string;
  item: string;
  commandLine: string;
  outcome: Outcome;
}

/** Where the task is in Azure Batch's life cycle; Completed splits by result (exit code when no result). */
export function outcomeOf(t: TaskObject): Outcome {
  const s = t.status;
  switch (s?.state) {
    case "Preparing":
    case "Running":
      return "running";
    case "Completed": {
      const e = s.executionInfo;
      const failed = e?.result ? e.result === "Failure" : e?.exitCode !== 0;
      return failed ? "failed" : "succeeded";
    }
    default:
      return "active";
  }
}

export function taskRow(t: TaskObject, now = Date.now()): TaskRow {
  const e = t.status?.executionInfo;
  const start = e?.startTime ? Date.parse(e.startTime) : undefined;
  const end = e?.endTime ? Date.parse(e.endTime) : undefined;
  const outcome = outcomeOf(t);
  const durationMs = start === undefined ? undefined : outcome === "running" ? now - start : end !== undefined && end >= start ? end - start : undefined;
  return {
    name: t.metadata?.name ?? "",
    job: taskJob(t) ?? "",
    state: t.status?.state ?? "Active",
    result: e?.result ?? "",
    node: t.status?.nodeInfo?.nodeId ?? t.metadata?.labels?.[nodeLabel] ?? "",
    pool: t.status?.nodeInfo?.poolId ?? "",
    exitCode: e?.exitCode,
    retries: e?.retryCount ?? 0,
    requeues: e?.requeueCount ?? 0,
    durationMs,
    failureCode: e?.failureInfo?.code ?? "",
    failureMessage: e?.failureInfo?.message ?? "",
    item: t.spec?.displayName ?? "",
    commandLine: t.spec?.commandLine ?? "",
    outcome,
  };
}

/** First non-empty line of a stderr tail (the tail may start mid-line, so skip a cut one). */
export function firstLine(text: string | undefined, max = 80): string {
  const line = (text ?? "").split("\n").find((l) => l.trim() !== "")?.trim() ?? "";
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** `task-2` before `task-10`: names compared with their digit runs as numbers. */
export const compareNames = new Intl.Collator("en", { numeric: true }).compare;

/** `850ms`, `12.3s`, `4m05s`, `2h03m`. */
export function formatElapsed(ms: number | undefined): string {
  if (ms === undefined) return "";
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** Left-aligned columns separated by three spaces, kubectl style. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("   ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
