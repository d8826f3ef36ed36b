// `kubatch task file list TASK` and `kubatch task file get TASK FILE`: a task's folder on its
// node (Azure Batch's task file list and download), read whole through the node pod's agent
// container. A task of a collection is found by its item id, on the node its chunk names.
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { collectionJob, connect, findTask, taskJob, type Cluster } from "./kube.ts";
import { lookUpItem } from "./item-lookup.ts";
import { execFiles } from "./node-exec.ts";
import { formatTable } from "./task-row.ts";
import { CliError, clusterOptions, clusterOptionsHelp, parseCommandLine, positionalArgs, UsageError } from "./usage.ts";

const rbacNote = "Reading a node's files runs a command in its pod's agent container (pods/exec): it needs\nthe RBAC of `kubectl exec` in the namespace.";

export const taskFileListHelp = `usage: kubatch task file list TASK [-o json] [options]

Lists the files of the task's folder on its node ($AZ_BATCH_NODE_ROOT_DIR/workitems/<job>/job-1/<task>):
stdout.txt, stderr.txt and the working directory wd/, with sizes and modification times.
TASK may be an item of a task collection (<idPrefix>-<index>): a failed item's folder stays on
its node, a succeeded one's is removed.

${rbacNote}

  -o, --output json  the entries as JSON
${clusterOptionsHelp}`;

export const taskFileGetHelp = `usage: kubatch task file get TASK FILE [--destination PATH] [options]

Downloads one whole file of the task's folder on its node, FILE relative to the folder
(stdout.txt, stderr.txt, wd/out/result.json), to PATH or else to stdout, byte for byte.

${rbacNote}

  -d, --destination PATH  write the file here (default: stdout)
${clusterOptionsHelp}`;

type Located = { job: string; id: string; node: string };

/** The job, task id and node of a Task or a collection item; a CliError when it has no node (yet). */
async function locate(c: Cluster, name: string): Promise<Located> {
  const task = await findTask(c, name);
  if (task) {
    const job = taskJob(task) ?? "";
    const node = task.status?.nodeInfo?.nodeId;
    if (!node) throw new CliError(`task "${name}" (${task.status?.state ?? "Active"}) has not been assigned to a node: it has no files yet`);
    return { job, id: task.spec?.id ?? name, node };
  }
  const { collection: tc, name: collection, status } = await lookUpItem(c, name);
  if (!status.node) {
    const why = status.result === "Success" ? "it succeeded, and a succeeded item's folder is removed from its node" : status.state === "Active" ? "it has not run yet" : "its chunk does not name its node";
    throw new CliError(`item ${name} of task collection ${collection} has no files to read: ${why}`);
  }
  return { job: collectionJob(tc) ?? "", id: name, node: status.node };
}

type Listing = { entries: { name: string; isDirectory: boolean; size: number; modified: string }[]; truncated: boolean };

export function fileRows(listing: Listing): string {
  const rows = listing.entries.map((e) => [e.isDirectory ? `${e.name}/` : e.name, e.isDirectory ? "" : String(e.size), e.modified]);
  const table = formatTable(["NAME", "SIZE", "MODIFIED"], rows);
  return listing.truncated ? `${table}\n# the folder holds more entries than the ${listing.entries.length} listed` : table;
}

export async function taskFileList(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({ args: argv, allowPositionals: true, options: { ...clusterOptions, output: { type: "string", short: "o" } } });
  const [name] = positionalArgs(positionals, ["TASK"]) as [string];
  if (values.output !== undefined && values.output !== "json") throw new UsageError(`--output: "${values.output}" is not an output format (json)`);
  const cluster = connect(values);
  const { job, id, node } = await locate(cluster, name);
  let text = "";
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString("utf8");
      done();
    },
  });
  await execFiles(cluster, node, ["list", job, id], sink);
  const listing = JSON.parse(text) as Listing;
  console.log(values.output === "json" ? JSON.stringify({ task: name, job, node, ...listing }, null, 2) : fileRows(listing));
  return 0;
}

export async function taskFileGet(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({ args: argv, allowPositionals: true, options: { ...clusterOptions, destination: { type: "string", short: "d" } } });
  const [name, file] = positionalArgs(positionals, ["TASK", "FILE"]) as [string, string];
  const cluster = connect(values);
  const { job, id, node } = await locate(cluster, name);
  if (values.destination === undefined) {
    await execFiles(cluster, node, ["get", job, id, file], process.stdout);
    return 0;
  }
  const dest = values.destination;
  const out = createWriteStream(dest);
  try {
    await execFiles(cluster, node, ["get", job, id, file], out);
    if (!out.writableEnded) out.end();
    await finished(out);
  } catch (err) {
    out.destroy();
    await rm(dest, { force: true });
    throw err;
  }
  console.error(`# ${file} of task ${name} (node ${node}) written to ${dest} (${out.bytesWritten} bytes)`);
  return 0;
}
