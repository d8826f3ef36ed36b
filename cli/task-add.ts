// `kubatch task add JOB`: many tasks in one command (Azure Batch's AddTaskCollection), from
// blobs under a prefix, local files, or a number range, through a command-line template: one
// Task per item, or with --collection one TaskCollection (task-add-collection.ts).
import type { V1OwnerReference } from "@kubernetes/client-node";
import { parseDuration, durationProblem } from "../api/duration.ts";
import type { EnvironmentSetting } from "../api/environment.ts";
import { API_VERSION } from "../api/group.ts";
import { addedTaskJobLabel } from "../api/labels.ts";
import { formatProblems, parseWith } from "../api/parse.ts";
import { quoteAt } from "../api/shell-quote.ts";
import { taskSpecSchema, type TaskSpecInput } from "../api/task.ts";
import { MAX_COLLECTION_ITEMS } from "../api/task-collection.ts";
import { expandTemplate, type TemplateVars } from "../api/template.ts";
import { jobOwnerRef, jobOwnerUid } from "../kube/apply.ts";
import { forEachBounded } from "../kube/bounded.ts";
import type { JobObject, TaskObject } from "../kube/objects.ts";
import { apiMessage, connect, getJob, statusCode, tasksResource, type Cluster } from "./kube.ts";
import { ProgressLine } from "./progress.ts";
import { parseRange } from "./range.ts";
import { blobItems, collectionContainerUrl, fileItems, rangeItems, type Item } from "./sources.ts";
import { buildCollection, createCollection, defaultCollectionName, type CollectionSource } from "./task-add-collection.ts";
import { constraintsOf, intOption, parseEnv, parseResourceFiles, resourceFileOf, type TaskOptions } from "./task-options.ts";
import { formatElapsed } from "./task-row.ts";
import { checkTemplate, defaultNameTemplate, dnsSafeName } from "./template.ts";
import { CliError, clusterOptions, clusterOptionsHelp, parseCommandLine, positionalArgs, UsageError } from "./usage.ts";

export const taskAddHelp = `usage: kubatch task add JOB (--from-blobs URL [--prefix P] | --from-files GLOB | --range A..B) --command TEMPLATE [options]
       kubatch task add JOB (--from-blobs URL [--prefix P] | --from-files GLOB | --range A..B) --command TEMPLATE --collection [--name N] [options]

Creates one task of job JOB (jobs.kubatch.dev) per input item, owned by the job (deleting
the job deletes them). Idempotent: a task whose name exists already with the same spec counts
as existing, so re-running the command adds only what is missing; one with another spec (an
earlier command's, e.g. another --range under the default names) or of a deleted job fails,
named, and the command exits 1.

With --collection it creates one TaskCollection (taskcollections.kubatch.dev, kubectl get ktc)
instead: one object for up to 10,000,000 items, holding the range, the blob container and
prefix (the operator lists the blobs), or the matching files' paths (at most 10,000), and the
templates as written; item i's task id is <name>-<i>. The operator cuts it into chunks that
the nodes run: kubatch task list JOB counts its items (--state failed lists the failed ones),
kubatch task output <name>-<i> --stderr shows a failed item's stderr.

Input (exactly one):
      --from-blobs URL       one task per blob in the container URL (or container name with a
                             connection string); a SAS in the URL is used as is
      --prefix P             only blobs whose names start with P
      --connection-string S  storage connection string (default: $AZURE_STORAGE_CONNECTION_STRING)
      --sas-expiry DURATION  with a connection string: {blobUrl} carries a read-only SAS valid this long
      --from-files GLOB      one task per local file matching GLOB (quote it)
      --range A..B           one task per integer A..B (inclusive)

Task:
      --command TEMPLATE     the task's command line (run without a shell; use /bin/sh -c "…" for one)
      --name-template T      task names, made DNS-safe, at most 63 chars (default:
                             <job>-task-{item} for --range, else <job>-task-{index})
      --max-retries N        constraints.maxTaskRetryCount (-1 = unlimited, 0..100)
      --max-wall-clock D     constraints.maxWallClockTime ("90s", "1h", "PT15M")
      --env K=V              an environment setting (repeatable; the value is a template)
      --resource-file [PATH=]URL  download URL into the working directory as PATH (default: its
                             base name) before the task runs (repeatable; a template)
      --concurrency N        creates in flight (default 32)
${clusterOptionsHelp}

Collection:
      --collection           one TaskCollection instead of one Task per item
      --name N               its name, and its items' id prefix (default <job>-tasks; at most
                             56 letters, digits, '-' or '_'). Not with --name-template or
                             --concurrency; --resource-file takes no placeholders (the files
                             are the same for every item). With --from-blobs the operator lists
                             the container: --sas-expiry (with a connection string) gives its
                             URL a read+list SAS valid that long, which {blobUrl} carries too

Placeholders in templates:
  {} or {item}  the blob name, the file's absolute path, or the number
  {index}       0-based position of the item     {name}      base name of the blob or file
  {blobUrl}     the blob's URL (with SAS)        {blobName}  the blob's full name
  {{ and }} are literal braces; \${VAR} is left for the shell.
  In --command a value is quoted to stay one word wherever it lands (POSIX sh single quotes,
  ' written '\\''; plain names and numbers as they are): outside quotes it is one argument, in a
  quoted /bin/sh -c script one word of the script. Spaces, quotes, $(…), ; and newlines in blob
  names or paths cannot break or inject into the command. Other templates take values as is.

Examples:
  kubatch task add ocr --from-blobs http://127.0.0.1:10000/devstoreaccount1/images --prefix scans/ \\
    --sas-expiry 2h --command '/bin/sh -c "curl -so {name} {blobUrl} && ocr.sh {name}"'
  kubatch task add sweep --range 1..500 --command 'simulate --seed {}' --max-retries 2
  kubatch task add sweep --range 0..999999 --command 'simulate --seed {}' --collection
  kubatch task add ocr --from-blobs images --prefix scans/ --sas-expiry 12h --collection \\
    --command '/bin/sh -c "curl -so {name} {blobUrl} && ocr.sh {name}"'

Exit status: 0 when every task was created or existed, 1 when some failed, 2 on a usage error.`;

export interface AddOptions extends TaskOptions {
  nameTemplate: string;
  /** The job as the owner of its tasks (deleting the job deletes them); the operator sets it otherwise, one more write per task. */
  owner?: V1OwnerReference;
}

/**
 * The job as its tasks' and collections' controller owner. Without blockOwnerDeletion: setting
 * that needs update on jobs/finalizers, which a namespace editor does not have.
 */
export function jobOwner(job: JobObject): V1OwnerReference {
  return { ...jobOwnerRef(job.metadata?.name ?? "", job.metadata?.uid ?? ""), blockOwnerDeletion: false };
}

/** The Task objects for the items (pure): names checked for duplicates, specs for validity. */
export function buildTasks(items: readonly Item[], o: AddOptions): { name: string; body: object }[] {
  const seen = new Map<string, string>();
  return items.map((item, index) => {
    const vars: TemplateVars = { ...item, index };
    const name = dnsSafeName(expandTemplate(o.nameTemplate, vars));
    const clash = seen.get(name);
    if (clash !== undefined) {
      throw new UsageError(`--name-template: "${o.nameTemplate}" gives the name ${name} to both "${clash}" and "${item.item}" (use {index} or {name})`);
    }
    seen.set(name, item.item);
    const spec: TaskSpecInput = { jobName: o.job, commandLine: expandTemplate(o.command, vars, quoteAt), displayName: item.item.slice(0, 1024) };
    const constraints = constraintsOf(o);
    if (constraints) spec.constraints = constraints;
    if (o.env.length > 0) spec.environmentSettings = o.env.map((e): EnvironmentSetting => ({ name: e.name, value: expandTemplate(e.value, vars) }));
    if (o.resourceFiles.length > 0) {
      spec.resourceFiles = o.resourceFiles.map((r) => resourceFileOf(expandTemplate(r.url, vars), r.path === undefined ? undefined : expandTemplate(r.path, vars)));
    }
    const checked = parseWith(taskSpecSchema, spec);
    if (!checked.ok) throw new UsageError(`task ${name} (item "${item.item}") would be invalid: ${formatProblems(checked.problems.map((p) => ({ ...p, path: `spec.${p.path}` })))}`);
    return { name, body: { apiVersion: API_VERSION, kind: "Task", metadata: { name, labels: { [addedTaskJobLabel]: o.job }, ...(o.owner ? { ownerReferences: [o.owner] } : {}) }, spec } };
  });
}

/**
 * Why a task of that name that exists already is not the one this command would create, or
 * undefined when it is (same spec as far as the command sets it, same job): re-running the
 * command is idempotent, but another command's task under the same name is not "existing".
 */
async function existingClash(cluster: Cluster, t: { name: string; body: object }, owner: V1OwnerReference | undefined): Promise<string | undefined> {
  let existing: TaskObject;
  try {
    existing = (await cluster.custom.getNamespacedCustomObject({ ...tasksResource, namespace: cluster.namespace, name: t.name })) as TaskObject;
  } catch (err) {
    return statusCode(err) === 404 ? "exists, being deleted: run the command again in a moment" : `exists, and could not be read: ${apiMessage(err)}`;
  }
  const ownerUid = jobOwnerUid(existing.metadata?.ownerReferences);
  if (owner && ownerUid && ownerUid !== owner.uid) return `exists, of an earlier job ${owner.name} that was deleted (garbage collection takes it in a moment): run the command again then`;
  const wanted = (t.body as { spec: object }).spec;
  const differs = firstDifference(wanted, existing.spec ?? {});
  return differs === undefined ? undefined : `exists with another spec (spec.${differs} differs): choose other names with --name-template, or delete it first`;
}

/** The first path (a.b.c) where `want` is not contained in `have` (fields `have` adds, such as the API server's defaults, are fine). */
export function firstDifference(want: unknown, have: unknown, path = ""): string | undefined {
  if (want !== null && typeof want === "object" && !Array.isArray(want)) {
    if (have === null || typeof have !== "object" || Array.isArray(have)) return path || "(root)";
    for (const [k, v] of Object.entries(want)) {
      const d = firstDifference(v, (have as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(have) || have.length !== want.length) return path;
    for (const [i, v] of want.entries()) {
      const d = firstDifference(v, have[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return want === have ? undefined : path;
}

export async function taskAdd(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({
    args: argv,
    allowPositionals: true,
    options: {
      ...clusterOptions,
      "from-blobs": { type: "string" },
      prefix: { type: "string" },
      "connection-string": { type: "string" },
      "sas-expiry": { type: "string" },
      "from-files": { type: "string" },
      range: { type: "string" },
      command: { type: "string" },
      "name-template": { type: "string" },
      "max-retries": { type: "string" },
      "max-wall-clock": { type: "string" },
      env: { type: "string", multiple: true },
      "resource-file": { type: "string", multiple: true },
      concurrency: { type: "string" },
      collection: { type: "boolean" },
      name: { type: "string" },
    },
  });
  const [job] = positionalArgs(positionals, ["JOB"]) as [string];
  const sources = (["from-blobs", "from-files", "range"] as const).filter((k) => values[k] !== undefined);
  if (sources.length !== 1) throw new UsageError(sources.length === 0 ? "one of --from-blobs, --from-files, --range is required" : `only one of --${sources.join(", --")} may be given`);
  if (values.prefix !== undefined && !values["from-blobs"]) throw new UsageError("--prefix applies only to --from-blobs");
  if (values.command === undefined || values.command.trim() === "") throw new UsageError("--command is required (the task's command-line template)");
  const wallClock = values["max-wall-clock"];
  if (wallClock !== undefined && durationProblem(wallClock)) throw new UsageError(`--max-wall-clock: ${durationProblem(wallClock)}`);
  const sasExpiry = values["sas-expiry"];
  if (sasExpiry !== undefined && durationProblem(sasExpiry)) throw new UsageError(`--sas-expiry: ${durationProblem(sasExpiry)}`);
  if (values.collection) {
    // One create, no names to make, and the operator lists the blobs: these options would do nothing.
    const why = { "name-template": " (item i's task id is <name>-<i>; see --name)", concurrency: "" };
    const given = (Object.keys(why) as (keyof typeof why)[]).find((k) => values[k] !== undefined);
    if (given !== undefined) throw new UsageError(`--${given} does not apply with --collection${why[given]}`);
    // The key stays here: the operator lists with a SAS made from it, or with what the URL or a Secret gives.
    if (values["connection-string"] !== undefined && sasExpiry === undefined) {
      throw new UsageError("--connection-string with --collection needs --sas-expiry: the container URL then carries a read+list SAS valid that long, which the operator lists with and each {blobUrl} carries (or put a SAS in the URL, or set spec.source.blobs.credentialsSecretRef)");
    }
  } else if (values.name !== undefined) {
    throw new UsageError("--name applies only with --collection (task names come from --name-template)");
  }
  const task: TaskOptions = {
    job,
    command: values.command,
    maxRetries: intOption("--max-retries", values["max-retries"], -1, 100),
    maxWallClock: wallClock,
    env: parseEnv(values.env ?? []),
    resourceFiles: parseResourceFiles(values["resource-file"] ?? []),
  };
  const available = values["from-blobs"] ? ["item", "index", "name", "blobUrl", "blobName"] : ["item", "index", "name"];
  checkTemplate(task.command, "--command", available);
  for (const e of task.env) checkTemplate(e.value, `--env ${e.name}`, available);
  for (const r of task.resourceFiles) checkTemplate(`${r.url}${r.path ?? ""}`, "--resource-file", available);

  if (values.collection) {
    const name = values.name ?? defaultCollectionName(job);
    const source: CollectionSource =
      values.range !== undefined
        ? { range: parseRange(values.range, MAX_COLLECTION_ITEMS, "in a collection") }
        : values["from-files"] !== undefined
          ? { files: (await fileItems(values["from-files"])).map((f) => f.item) }
          : {
              blobs: {
                containerUrl: await collectionContainerUrl({
                  containerUrl: values["from-blobs"]!,
                  prefix: values.prefix ?? "",
                  connectionString: values["connection-string"] ?? process.env.AZURE_STORAGE_CONNECTION_STRING,
                  sasMs: sasExpiry === undefined ? undefined : parseDuration(sasExpiry),
                }),
                prefix: values.prefix,
              },
            };
    const cluster = connect(values);
    const object = buildCollection(source, { ...task, name, owner: jobOwner(await getJob(cluster, job)) });
    return createCollection(cluster, object);
  }

  const nameTemplate = values["name-template"] ?? defaultNameTemplate(job, values.range);
  const concurrency = intOption("--concurrency", values.concurrency, 1, 256) ?? 32;
  checkTemplate(nameTemplate, "--name-template", available);

  const cluster = connect(values);
  // Fails before reading any input when the job is missing.
  const opts: AddOptions = { ...task, nameTemplate, owner: jobOwner(await getJob(cluster, job)) };

  const items = values.range !== undefined
    ? rangeItems(values.range)
    : values["from-files"] !== undefined
      ? await fileItems(values["from-files"])
      : await blobItems({
          containerUrl: values["from-blobs"]!,
          prefix: values.prefix ?? "",
          connectionString: values["connection-string"] ?? process.env.AZURE_STORAGE_CONNECTION_STRING,
          sasMs: sasExpiry === undefined ? undefined : parseDuration(sasExpiry),
        });
  const tasks = buildTasks(items, opts);

  const started = Date.now();
  const progress = new ProgressLine(process.stderr, { plainMs: 2_000 });
  const counts = { created: 0, existing: 0, failed: 0 };
  const failures: string[] = [];
  const line = () => `adding tasks to job ${job}: ${counts.created + counts.existing + counts.failed}/${tasks.length} (${counts.created} created, ${counts.existing} existing, ${counts.failed} failed)`;
  // Give up early when nothing gets through (RBAC, a missing CRD, a webhook): every request would fail alike.
  const hopeless = () => counts.failed >= 20 && counts.created + counts.existing === 0;
  await forEachBounded(tasks, concurrency, async (t) => {
    try {
      await cluster.custom.createNamespacedCustomObject({ ...tasksResource, namespace: cluster.namespace, body: t.body });
      counts.created++;
    } catch (err) {
      const clash = statusCode(err) === 409 ? await existingClash(cluster, t, opts.owner) : apiMessage(err);
      if (clash === undefined) counts.existing++;
      else {
        counts.failed++;
        if (failures.length < 10) failures.push(`  ${t.name}: ${clash}`);
      }
    }
    progress.update(line());
  }, hopeless);
  progress.update(line(), true);
  progress.done();
  const ms = Date.now() - started;
  const skipped = tasks.length - counts.created - counts.existing - counts.failed;
  console.log(
    `job ${job} (namespace ${cluster.namespace}): ${tasks.length} tasks: ${counts.created} created, ${counts.existing} existing, ${counts.failed} failed` +
      `${skipped > 0 ? `, ${skipped} not attempted` : ""} in ${formatElapsed(ms)} (${Math.round((counts.created / Math.max(ms, 1)) * 1000)}/s)`,
  );
  if (failures.length > 0) {
    console.error(`failed${counts.failed > failures.length ? ` (first ${failures.length} of ${counts.failed})` : ""}:\n${failures.join("\n")}`);
  }
  if (skipped > 0) throw new CliError("stopped: the first 20 creates all failed");
  return counts.failed > 0 ? 1 : 0;
}
