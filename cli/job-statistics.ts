// `kubatch job stats JOB`: Azure Batch's job statistics from what the cluster holds: the job's
// wall clock, its tasks' counts and retries, and how long they waited (created → last start, as
// Azure counts a retried task's wait) and ran (last start → end; running ones so far). Items of
// task collections are counted, not timed: their chunks keep no per-item times. CPU time is not
// known: Node's child_process gives the runner no rusage of a finished process.
import type { JobObject, TaskCollectionObject, TaskObject } from "../kube/objects.ts";
import { collectionItemCounts } from "./collection-rows.ts";
import { connect, getJob, jobFieldSelector, listCollections, listJobTasks } from "./kube.ts";
import { formatElapsed, formatTable } from "./task-row.ts";
import { clusterOptions, clusterOptionsHelp, parseCommandLine, positionalArgs, UsageError } from "./usage.ts";

export const jobStatsHelp = `usage: kubatch job stats JOB [-o json] [options]

Statistics of job JOB (Azure Batch's job statistics): its wall clock (creation → end, or now),
its tasks by state and result, their retries, and their wait and run times: total, mean,
median (p50), p95 and longest. A task's wait is creation → its last start (a retried task's
wait includes its earlier attempts, as in Azure Batch); its run is last start → end, or → now
while it runs. Items of task collections are counted but not timed (their chunks keep no
per-item times). CPU time is not measured.

  -o, --output json  the statistics as JSON (durations in seconds)
${clusterOptionsHelp}`;

export type Durations = { count: number; totalSeconds: number; meanSeconds: number; p50Seconds: number; p95Seconds: number; maxSeconds: number };

export type JobStatistics = {
  job: string;
  state: string;
  wallClockSeconds: number;
  tasks: { total: number; active: number; running: number; completed: number; succeeded: number; failed: number; retries: number };
  wait: Durations | undefined;
  run: Durations | undefined;
  collectionItems: { total: number; active: number; running: number; succeeded: number; failed: number };
};

const at = (t: Date | string | undefined | null): number => (t === undefined || t === null ? NaN : new Date(t).getTime());

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

export function durations(ms: readonly number[]): Durations | undefined {
  if (ms.length === 0) return undefined;
  const s = [...ms].map((m) => Math.max(0, m) / 1000).sort((a, b) => a - b);
  const total = s.reduce((a, b) => a + b, 0);
  return { count: s.length, totalSeconds: total, meanSeconds: total / s.length, p50Seconds: percentile(s, 50), p95Seconds: percentile(s, 95), maxSeconds: s.at(-1)! };
}

export function jobStatistics(job: JobObject, tasks: readonly TaskObject[], collections: readonly TaskCollectionObject[], now: number): JobStatistics {
  const created = at(job.metadata?.creationTimestamp);
  const ended = at(job.status?.executionInfo?.endTime);
  const counts = { total: tasks.length, active: 0, running: 0, completed: 0, succeeded: 0, failed: 0, retries: 0 };
  const waits: number[] = [];
  const runs: number[] = [];
  for (const t of tasks) {
    const state = t.status?.state ?? "Active";
    const e = t.status?.executionInfo;
    if (state === "Completed") {
      counts.completed++;
      if (e?.result === "Failure") counts.failed++;
      else counts.succeeded++;
    } else if (state === "Running" || state === "Preparing") counts.running++;
    else counts.active++;
    counts.retries += e?.retryCount ?? 0;
    const made = at(t.metadata?.creationTimestamp);
    const start = at(e?.startTime);
    const end = state === "Completed" ? at(e?.endTime) : now;
    // A task not started yet has waited until now; one completed without starting has no wait.
    const waitedUntil = Number.isNaN(start) ? (state === "Completed" ? NaN : now) : start;
    if (!Number.isNaN(made) && !Number.isNaN(waitedUntil)) waits.push(waitedUntil - made);
    if (!Number.isNaN(start) && !Number.isNaN(end)) runs.push(end - start);
  }
  const { unlisted: _, ...items } = collectionItemCounts(collections);
  return {
    job: job.metadata?.name ?? "",
    state: job.status?.state ?? "Active",
    wallClockSeconds: Number.isNaN(created) ? 0 : Math.max(0, (Number.isNaN(ended) ? now : ended) - created) / 1000,
    tasks: counts,
    wait: durations(waits),
    run: durations(runs),
    collectionItems: items,
  };
}

export function describeStatistics(s: JobStatistics): string {
  const t = s.tasks;
  const f = (sec: number) => formatElapsed(sec * 1000);
  const lines = [
    `Job:        ${s.job} (${s.state})`,
    `Wall clock: ${f(s.wallClockSeconds)}${s.state === "Completed" ? "" : " so far"}`,
    `Tasks:      ${t.total}: ${t.active} active, ${t.running} running, ${t.completed} completed (${t.succeeded} succeeded, ${t.failed} failed); ${t.retries} retries`,
  ];
  if (s.collectionItems.total > 0) {
    const i = s.collectionItems;
    lines.push(`Items:      ${i.total} in task collections: ${i.active} active, ${i.running} running, ${i.succeeded} succeeded, ${i.failed} failed (not timed)`);
  }
  const rows = (["wait", "run"] as const).flatMap((k) => {
    const d = s[k];
    return d ? [[k, String(d.count), f(d.totalSeconds), f(d.meanSeconds), f(d.p50Seconds), f(d.p95Seconds), f(d.maxSeconds)]] : [];
  });
  if (rows.length > 0) lines.push("Task times:", ...formatTable(["", "TASKS", "TOTAL", "MEAN", "P50", "P95", "MAX"], rows).split("\n").map((l) => `  ${l}`));
  return lines.join("\n");
}

export async function jobStats(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({ args: argv, allowPositionals: true, options: { ...clusterOptions, output: { type: "string", short: "o" } } });
  const [name] = positionalArgs(positionals, ["JOB"]) as [string];
  if (values.output !== undefined && values.output !== "json") throw new UsageError(`--output: "${values.output}" is not an output format (json)`);
  const cluster = connect(values);
  const job = await getJob(cluster, name);
  const [{ tasks }, collections] = await Promise.all([listJobTasks(cluster, name, await jobFieldSelector(cluster, name)), listCollections(cluster, name)]);
  const stats = jobStatistics(job, tasks, collections, Date.now());
  console.log(values.output === "json" ? JSON.stringify(stats, null, 2) : describeStatistics(stats));
  return 0;
}
