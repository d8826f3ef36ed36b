// `kubatch job wait JOB`: Azure Batch's TaskStateMonitor.WaitAll for a whole job, on a watch.
import { durationProblem, parseDuration } from "../api/duration.ts";
import { setLongTimeout } from "../kube/long-timer.ts";
import { collectionItemCounts } from "./collection-rows.ts";
import { jobBlockers } from "./job-blockers.ts";
import { connect, getJob, listCollections } from "./kube.ts";
import type { TaskCollectionObject } from "../kube/objects.ts";
import { formatWaitProgress, ProgressLine, type Counts } from "./progress.ts";
import { formatElapsed, formatTable, compareNames } from "./task-row.ts";
import { JobTaskWatch, type TaskSummary } from "./task-watch.ts";
import { clusterOptions, clusterOptionsHelp, parseCommandLine, positionalArgs, UsageError } from "./usage.ts";

export const jobWaitHelp = `usage: kubatch job wait JOB [--timeout DURATION] [options]

Waits until every task of job JOB (jobs.kubatch.dev) has completed, like Azure Batch's
TaskStateMonitor.WaitAll, following the tasks with a watch. Shows a progress bar on a
terminal and a line every few seconds otherwise (both on stderr), then a summary and the
failed tasks (name, exit code, failure code, first line of stderr) on stdout.
The items of the job's task collections count as its tasks (their counts, read every 2 s;
their failed items: kubatch task list JOB --state failed).
A job without tasks is waited on until tasks appear. A job that ends before all its tasks
completed (terminated, a task's jobAction, maxWallClockTime) ends the wait too. On a
timeout it names what blocks the job: its pool missing (PoolReady=False), the job disabled,
and why its active tasks wait (their Schedulable reasons, counted).

      --timeout DURATION   give up after this long ("90s", "10m", "PT1H"; default: no limit)
      --interval DURATION  how often to print a progress line when not on a terminal (default 5s)
${clusterOptionsHelp}

Exit status: 0 when all tasks succeeded, 1 when any failed or the job ended first (or on an
error), 2 on timeout (or a usage error).`;

/** How often the job itself is read, to notice that it ended before its tasks did. */
const jobCheckMs = 2_000;

/** Every task present has completed, and there is at least one. */
export function allCompleted(c: Counts): boolean {
  return c.total > 0 && c.succeeded + c.failed === c.total;
}

/**
 * The items of these task collections as task counts; a collection whose items are not all
 * known yet (blobs still being listed) counts one active item more, so that it is never taken
 * for complete.
 */
export function collectionCounts(collections: readonly TaskCollectionObject[]): Counts {
  const { unlisted, ...c } = collectionItemCounts(collections);
  return { ...c, total: c.total + unlisted, active: c.active + unlisted };
}

const plus = (a: Counts, b: Counts): Counts => ({ total: a.total + b.total, active: a.active + b.active, running: a.running + b.running, succeeded: a.succeeded + b.succeeded, failed: a.failed + b.failed });

/** The failed tasks' table, sorted by name, at most `limit` rows. */
export function failedTable(tasks: ReadonlyMap<string, TaskSummary>, limit = 50): string {
  const failed = [...tasks].filter(([, s]) => s.outcome === "failed").sort(([a], [b]) => compareNames(a, b));
  const rows = failed.slice(0, limit).map(([name, s]) => [name, s.exitCode === undefined ? "" : String(s.exitCode), s.failureCode ?? "", s.stderrLine ?? ""]);
  const more = failed.length > limit ? `\n… and ${failed.length - limit} more (kubatch task list shows them all)` : "";
  return formatTable(["NAME", "EXIT CODE", "FAILURE CODE", "STDERR"], rows) + more;
}

function durationOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const problem = durationProblem(text);
  if (problem) throw new UsageError(`${name}: ${problem}`);
  return parseDuration(text);
}

export async function jobWait(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({
    args: argv,
    allowPositionals: true,
    options: { ...clusterOptions, timeout: { type: "string" }, interval: { type: "string" } },
  });
  const [job] = positionalArgs(positionals, ["JOB"]) as [string];
  const timeoutMs = durationOption("--timeout", values.timeout);
  const intervalMs = durationOption("--interval", values.interval) ?? 5_000;
  const cluster = connect(values);
  let latest = await getJob(cluster, job);

  const started = Date.now();
  const progress = new ProgressLine(process.stderr, { plainMs: intervalMs });
  // The collections' items, read with the job (their chunks change too often to watch cheaply).
  let items = collectionCounts(await listCollections(cluster, job));
  const counts = () => plus(watch.tally.counts, items);
  const render = (force = false) => progress.update(formatWaitProgress(counts(), { tty: progress.tty, elapsedMs: Date.now() - started }), force);
  let finish: (how: "done" | "timeout" | "ended") => void = () => {};
  const finished = new Promise<"done" | "timeout" | "ended">((resolve) => (finish = resolve));
  let endedAs: string | undefined;
  const watch: JobTaskWatch = new JobTaskWatch(
    cluster,
    job,
    () => {
      render();
      if (allCompleted(counts())) finish("done");
    },
    (line) => {
      progress.done();
      console.error(line);
    },
  );
  // Redraw periodically too: the elapsed time moves even when no task does.
  const ticker = setInterval(() => render(), progress.tty ? 1_000 : intervalMs);
  const timer = timeoutMs === undefined ? undefined : setLongTimeout(() => finish("timeout"), timeoutMs);
  const jobCheck = setInterval(() => {
    Promise.all([getJob(cluster, job), listCollections(cluster, job)]).then(
      ([j, collections]) => {
        latest = j;
        items = collectionCounts(collections);
        if (allCompleted(counts())) finish("done");
        if (j.status?.state !== "Completed") return;
        endedAs = j.status.executionInfo?.terminateReason ?? "Completed";
        // Give the task watch a moment to deliver the last completions first.
        setTimeout(() => finish(allCompleted(counts()) ? "done" : "ended"), 500);
      },
      () => undefined, // the next check, or the task watch, reports trouble
    );
  }, jobCheckMs);
  try {
    await watch.start();
    const how = await finished;
    if (progress.tty) render(true); // plain output: the summary below says it all
    progress.done();
    const c = counts();
    const elapsed = formatElapsed(Date.now() - started);
    if (how === "ended") {
      console.log(`job ${job} ended (${endedAs}) after ${elapsed} before all its tasks completed: ${c.succeeded + c.failed}/${c.total} completed (${c.succeeded} succeeded, ${c.failed} failed), ${c.running} running, ${c.active} active`);
      if (c.failed > 0) console.log(`\nfailed tasks:\n${failedTable(watch.tally.tasks)}`);
      return 1;
    }
    if (how === "timeout") {
      console.log(`timed out after ${values.timeout}: job ${job}: ${c.succeeded + c.failed}/${c.total} tasks completed (${c.succeeded} succeeded, ${c.failed} failed), ${c.running} running, ${c.active} active`);
      const blockers = jobBlockers(await getJob(cluster, job).catch(() => latest), watch.tally.tasks.values());
      if (blockers.length > 0) console.log(`\nwhat blocks it:\n${blockers.map((b) => `  ${b}`).join("\n")}`);
      if (c.failed > 0) console.log(`\nfailed tasks:\n${failedTable(watch.tally.tasks)}`);
      return 2;
    }
    // The job's time (from its start), not only this command's wait.
    const jobStart = Date.parse(latest.status?.executionInfo?.startTime ?? "");
    const took = Number.isNaN(jobStart) ? elapsed : `${formatElapsed(Date.now() - jobStart)} since the job started (waited ${elapsed})`;
    console.log(`job ${job}: all ${c.total} tasks completed in ${took}: ${c.succeeded} succeeded, ${c.failed} failed`);
    if (c.failed === 0) return 0;
    console.log(`\nfailed tasks:\n${failedTable(watch.tally.tasks)}`);
    return 1;
  } finally {
    clearInterval(ticker);
    clearInterval(jobCheck);
    timer?.cancel();
    watch.stop();
  }
}
