// `kubatch task list JOB`: the job's tasks with state, node, exit code, retries and duration,
// the failed items of its task collections as rows of their own, and a summary per collection.
import { MAX_CHUNK_FAILURES, MAX_CHUNK_ITEMS } from "../api/collection-chunk.ts";
import { collectionSummary, failureRows, summaryLines, type ItemRow } from "./collection-rows.ts";
import { connect, getJob, jobFieldSelector, listCollectionChunks, listCollections, listJobTasks } from "./kube.ts";
import { compareNames, formatElapsed, formatTable, taskRow, type TaskRow } from "./task-row.ts";
import { matchesNodeAndExitCode, matchesState, parseExitCodeFilter, parseStateFilter, stateFilters } from "./task-state.ts";
import { clusterOptions, clusterOptionsHelp, parseCommandLine, positionalArgs, UsageError } from "./usage.ts";

export const taskListHelp = `usage: kubatch task list JOB [--state STATE] [--node NODE] [--exit-code N] [-o wide|json] [options]

Lists the tasks of job JOB (jobs.kubatch.dev), sorted by name (numbers in names in numeric
order: task-2 before task-10), and its task collections (taskcollections.kubatch.dev).

A collection reports only its failed items one by one (at most ${MAX_CHUNK_FAILURES} per chunk of up to ${MAX_CHUNK_ITEMS.toLocaleString("en")}
items; the rest are counted): with --state failed or completed they are rows like tasks (name:
the item's task id <idPrefix>-<index>; no duration). The other items are counted: after the
table, on stderr, one line per collection:
  collection sweep: 20000 items, 19996 succeeded, 4 failed, 0 running, 0 active (state Completed)
with what the rows leave out (items of the --state counted, not listed; failed items a chunk
could not list).

      --state STATE    only tasks (and items) in this state, one of
                       ${stateFilters.join(", ")}
                       (completed: succeeded or failed)
      --node NODE      only tasks (and items) on that node (its node pod: kubatch node list POOL)
      --exit-code N    only tasks (and items) that exited with code N
  -o, --output FORMAT  wide: also pool, failure code and message, item, command line;
                       json: one array of {kind: "Task", name, state, result, node, exitCode, …},
                       {kind: "CollectionItem", …, collection, index} (failed items, as above) and
                       {kind: "TaskCollection", name, job, idPrefix, state, itemCount, counts:
                       {active, running, succeeded, failed}, failuresNotListed} (the summaries;
                       failuresNotListed only when the items were listed)
${clusterOptionsHelp}`;

const cell = (v: number | undefined) => (v === undefined ? "" : String(v));

export function taskTable(rows: readonly TaskRow[], wide: boolean): string {
  const header = ["NAME", "STATE", "RESULT", "NODE", "EXIT CODE", "RETRIES", "REQUEUES", "DURATION"];
  if (wide) header.push("POOL", "FAILURE", "ITEM", "COMMAND");
  return formatTable(
    header,
    rows.map((r) => {
      const cells = [r.name, r.state, r.result, r.node, cell(r.exitCode), String(r.retries), String(r.requeues), formatElapsed(r.durationMs)];
      if (wide) cells.push(r.pool, [r.failureCode, r.failureMessage].filter(Boolean).join(": "), r.item, r.commandLine);
      return cells;
    }),
  );
}

/** A row for -o json: what it is, then its fields (the outcome is the state and result already). */
function jsonRow({ outcome: _, ...r }: TaskRow | ItemRow) {
  return "collection" in r ? { kind: "CollectionItem", ...r } : { kind: "Task", ...r };
}

export async function taskList(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({
    args: argv,
    allowPositionals: true,
    options: { ...clusterOptions, output: { type: "string", short: "o" }, state: { type: "string" }, node: { type: "string" }, "exit-code": { type: "string" } },
  });
  const [job] = positionalArgs(positionals, ["JOB"]) as [string];
  const output = values.output;
  if (output !== undefined && output !== "wide" && output !== "json") throw new UsageError(`--output: "${output}" is not one of wide, json`);
  const state = parseStateFilter(values.state);
  const where = { ...(values.node !== undefined ? { node: values.node } : {}), ...(values["exit-code"] !== undefined ? { exitCode: parseExitCodeFilter(values["exit-code"]) } : {}) };
  const cluster = connect(values);
  await getJob(cluster, job);
  const [{ tasks }, collections] = await Promise.all([listJobTasks(cluster, job, await jobFieldSelector(cluster, job)), listCollections(cluster, job)]);
  // Only failed items have rows; the chunks are read only when those are asked for.
  const listItems = state === "failed" || state === "completed";
  const chunks = listItems ? await listCollectionChunks(cluster, collections.map((tc) => tc.metadata?.name ?? "")) : undefined;
  const now = Date.now();
  const all: (TaskRow | ItemRow)[] = tasks.map((t) => taskRow(t, now)).filter((r) => matchesState(r.outcome, state));
  if (chunks) for (const tc of collections) all.push(...failureRows(tc, chunks));
  const rows = all.filter((r) => matchesNodeAndExitCode(r, where));
  rows.sort((a, b) => compareNames(a.name, b.name));
  const summaries = collections.map((tc) => collectionSummary(tc, chunks)).sort((a, b) => compareNames(a.name, b.name));
  if (output === "json") {
    console.log(JSON.stringify([...rows.map(jsonRow), ...summaries.map((s) => ({ kind: "TaskCollection", ...s }))], null, 2));
    return 0;
  }
  if (rows.length > 0) console.log(taskTable(rows, output === "wide"));
  else {
    const filters = [where.node !== undefined ? `on node ${where.node}` : "", where.exitCode !== undefined ? `with exit code ${where.exitCode}` : ""].filter(Boolean).join(" ");
    const what = `${state ? `${state} ` : ""}tasks${listItems && collections.length > 0 ? " or failed collection items" : ""}${filters ? ` ${filters}` : ""}`;
    console.error(`job ${job} has no ${what} in namespace ${cluster.namespace}`);
  }
  // The summaries go to stderr, so that stdout stays one table to read or cut.
  for (const s of summaries) for (const line of summaryLines(s, state)) console.error(line);
  return 0;
}
