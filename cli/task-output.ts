// `kubatch task output TASK`: the tail of the task's stdout/stderr that its agent reported; for
// an item of a task collection (no Task of that name), its chunk's report of it.
import { defaultTaskOutputMaxBytes, taskOutputMaxBytesEnv } from "../api/node-contract.ts";
import { itemOutputNote } from "./collection-item.ts";
import { collectionJob, connect, findTask, taskJob, type Cluster } from "./kube.ts";
import { lookUpItem } from "./item-lookup.ts";
import { taskFilePath } from "./node-files.ts";
import { clusterOptions, clusterOptionsHelp, parseCommandLine, positionalArgs } from "./usage.ts";

export const taskOutputHelp = `usage: kubatch task output TASK [--stderr] [options]

Prints the end of the task's stdout.txt (or stderr.txt with --stderr) as its node's agent
reported it in the Task's status (stdoutTail/stderrTail): the last KiB only. A note on
stderr says so and where the full file lives on the node:
  $AZ_BATCH_NODE_ROOT_DIR/workitems/<job>/job-1/<task>/stdout.txt
The node keeps each file's newest ${defaultTaskOutputMaxBytes / 1024 / 1024} MiB (its ${taskOutputMaxBytesEnv}): past half of
that the older half becomes stdout.txt.1 beside it, and what is older still is dropped (a
line at the end of stderr.txt says how much).

TASK may also be an item of a task collection, its task id <idPrefix>-<index> (when no Task
has that name). Its chunk reports an item only when it fails: --stderr prints a failed item's
last KiB of stderr.txt; stdout is not reported. A failed item's working directory stays on its
node (the note gives the path); a succeeded item's is removed.

      --stderr       stderr instead of stdout
${clusterOptionsHelp}`;

export function taskOutputNote(o: { task: string; job: string; node: string; file: string; state: string; empty: boolean }): string {
  const where = taskFilePath(o);
  if (o.empty) return `# task ${o.task} (${o.state}): no ${o.file} output reported${o.state === "Completed" ? " (the file is empty)" : " yet"}; the file: ${where}`;
  return `# task ${o.task} (${o.state}): the last KiB of ${o.file}; the full file: ${where} (its older half in ${o.file}.1 once it outgrew half the node's output cap)`;
}

export async function taskOutput(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({
    args: argv,
    allowPositionals: true,
    options: { ...clusterOptions, stderr: { type: "boolean" } },
  });
  const [name] = positionalArgs(positionals, ["TASK"]) as [string];
  const cluster = connect(values);
  const task = await findTask(cluster, name);
  if (!task) return itemOutput(cluster, name, values.stderr === true);
  const text = (values.stderr ? task.status?.stderrTail : task.status?.stdoutTail) ?? "";
  // The note goes to stderr, so that stdout carries exactly the task's output.
  console.error(
    taskOutputNote({
      task: name,
      job: taskJob(task) ?? "<job>",
      node: task.status?.nodeInfo?.nodeId ?? "",
      file: values.stderr ? "stderr.txt" : "stdout.txt",
      state: task.status?.state ?? "Active",
      empty: text === "",
    }),
  );
  process.stdout.write(text);
  return 0;
}

/** A collection item's output: the failed item's stderr tail, and a note of what is not reported. */
async function itemOutput(cluster: Cluster, id: string, stderr: boolean): Promise<number> {
  const { collection, name, status } = await lookUpItem(cluster, id);
  const file = stderr ? "stderr.txt" : "stdout.txt";
  console.error(itemOutputNote({ id, collection: name, job: collectionJob(collection) ?? "<job>", file, status }));
  if (stderr) process.stdout.write(status.failure?.stderrTail ?? "");
  return 0;
}
