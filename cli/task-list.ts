// `kubatch task list JOB`: the job's tasks with state, node, exit code, retries and duration.
import { connect, getJob, jobFieldSelector, listJobTasks } from "./kube.ts";
import { compareNames, formatElapsed, formatTable, taskRow, type TaskRow } from "./task-row.ts";
import { clusterOptions, clusterOptionsHelp, parseCommandLine, positionalArgs, UsageError } from "./usage.ts";

export const taskListHelp = `usage: kubatch task list JOB [-o wide|json] [options]

Lists the tasks of job JOB (jobs.kubatch.dev), sorted by name (numbers in names in numeric
order: task-2 before task-10).

  -o, --output FORMAT  wide: also pool, failure code and message, item, command line;
                       json: an array of {name, state, result, node, exitCode, …}
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

export async function taskList(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({
    args: argv,
    allowPositionals: true,
    options: { ...clusterOptions, output: { type: "string", short: "o" } },
  });
  const [job] = positionalArgs(positionals, ["JOB"]) as [string];
  const output = values.output;
  if (output !== undefined && output !== "wide" && output !== "json") throw new UsageError(`--output: "${output}" is not one of wide, json`);
  const cluster = connect(values);
  await getJob(cluster, job);
  const { tasks } = await listJobTasks(cluster, job, await jobFieldSelector(cluster, job));
  const now = Date.now();
  const rows = tasks.map((t) => taskRow(t, now)).sort((a, b) => compareNames(a.name, b.name));
  if (output === "json") {
    console.log(JSON.stringify(rows.map(({ outcome: _, ...r }) => r), null, 2));
  } else if (rows.length === 0) {
    console.error(`job ${job} has no tasks in namespace ${cluster.namespace}`);
  } else {
    console.log(taskTable(rows, output === "wide"));
  }
  return 0;
}
