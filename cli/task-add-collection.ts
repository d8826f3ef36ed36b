// `kubatch task add JOB … --collection`: one TaskCollection (api/task-collection.ts) instead of
// one Task per item. The object holds the range, the listed files or the blob prefix, and the
// templates as written: the items are filled in per item where they run (the agent, with the
// same api/template.ts), so nothing here is expanded.
import type { V1OwnerReference } from "@kubernetes/client-node";
import { API_VERSION } from "../api/group.ts";
import { addedTaskJobLabel } from "../api/labels.ts";
import { formatProblems } from "../api/parse.ts";
import { MAX_LISTED_ITEMS, parseTaskCollection, type TaskCollectionInput, type TaskCollectionSpecInput } from "../api/task-collection.ts";
import { collectionItemCount } from "../api/task-collection-items.ts";
import { expandTemplate, scanTemplate } from "../api/template.ts";
import { constraintsOf, resourceFileOf, type TaskOptions } from "./task-options.ts";
import { apiMessage, statusCode, taskCollectionsResource, type Cluster } from "./kube.ts";
import { CliError, UsageError } from "./usage.ts";
import { jobNameOf } from "../api/job-name.ts";

/** Where the items come from: --range, --from-files (resolved here), or --from-blobs (listed by the operator). */
export type CollectionSource = { range: { from: number; to: number } } | { files: readonly string[] } | { blobs: { containerUrl: string; prefix?: string } };

export interface CollectionOptions extends TaskOptions {
  /** metadata.name of the collection, and its items' id prefix. */
  name: string;
  /** The job as the collection's owner (deleting the job deletes it and its items). */
  owner?: V1OwnerReference;
}

/** The default name: `<job>-tasks` (item ids `<job>-tasks-<i>`). */
export function defaultCollectionName(job: string): string {
  return `${job}-tasks`;
}

function sourceOf(source: CollectionSource): TaskCollectionSpecInput["source"] {
  if ("range" in source) return { range: { start: source.range.from, end: source.range.to } };
  if ("files" in source) {
    if (source.files.length > MAX_LISTED_ITEMS) {
      throw new UsageError(`--from-files: ${source.files.length} files match; a collection lists at most ${MAX_LISTED_ITEMS} (split the glob, or add them as tasks without --collection)`);
    }
    return { items: [...source.files] };
  }
  return { blobs: source.blobs.prefix ? { containerUrl: source.blobs.containerUrl, prefix: source.blobs.prefix } : { containerUrl: source.blobs.containerUrl } };
}

/** The TaskCollection object (pure), checked against the schema the API server enforces. */
export function buildCollection(source: CollectionSource, o: CollectionOptions): TaskCollectionInput {
  const task: TaskCollectionSpecInput["task"] = { commandLine: o.command };
  const constraints = constraintsOf(o);
  if (constraints) task.constraints = constraints;
  if (o.env.length > 0) task.environmentSettings = o.env.map((e) => ({ name: e.name, value: e.value }));
  if (o.resourceFiles.length > 0) {
    task.resourceFiles = o.resourceFiles.map((r) => {
      if (scanTemplate(`${r.url} ${r.path ?? ""}`).used.size > 0) {
        throw new UsageError(`--resource-file: "${r.url}" has placeholders, which --collection does not fill in (a collection's resource files are the same for every item); download per item in --command instead, e.g. with {blobUrl}`);
      }
      // Without placeholders, filling in only turns {{ and }} into braces, as for single tasks.
      const literal = (text: string) => expandTemplate(text, { item: "", index: 0, name: "" });
      return resourceFileOf(literal(r.url), r.path === undefined ? undefined : literal(r.path));
    });
  }
  const object: TaskCollectionInput = {
    apiVersion: API_VERSION,
    kind: "TaskCollection",
    metadata: { name: o.name, labels: { [addedTaskJobLabel]: o.job }, ...(o.owner ? { ownerReferences: [o.owner] } : {}) },
    spec: { jobName: o.job, source: sourceOf(source), task },
  };
  const checked = parseTaskCollection(object);
  if (!checked.ok) {
    const hint = checked.problems.some((p) => p.path === "spec.idPrefix" || p.path === "metadata.name") ? " (choose another --name)" : "";
    throw new UsageError(`the collection ${o.name} would be invalid: ${formatProblems(checked.problems)}${hint}`);
  }
  return object;
}

/** What was created, for people: the items and their task ids. */
export function describeCollection(object: TaskCollectionInput, namespace: string): string {
  const { spec, metadata } = object;
  const count = collectionItemCount(spec.source);
  const prefix = spec.idPrefix ?? metadata.name;
  const items =
    count === undefined
      ? `the blobs under "${spec.source.blobs?.prefix ?? ""}" in ${spec.source.blobs?.containerUrl.split("?")[0]} (listed by the operator), task ids ${prefix}-<index>`
      : `${count} item${count === 1 ? "" : "s"}, task ids ${prefix}-0${count > 1 ? ` … ${prefix}-${count - 1}` : ""}`;
  return `taskcollection ${metadata.name} of job ${spec.jobName} (namespace ${namespace}): ${items}`;
}

/** Creates the collection; one that exists already is left as it is (the command is idempotent, as for tasks). */
export async function createCollection(cluster: Cluster, object: TaskCollectionInput): Promise<number> {
  const what = describeCollection(object, cluster.namespace);
  try {
    await cluster.custom.createNamespacedCustomObject({ ...taskCollectionsResource, namespace: cluster.namespace, body: object });
  } catch (err) {
    if (statusCode(err) !== 409) throw new CliError(`creating taskcollection ${object.metadata.name}: ${apiMessage(err)}`);
    console.log(`exists already, not changed: ${what}`);
    return 0;
  }
  console.log(`created ${what}`);
  console.error(`note: kubatch task list ${jobNameOf(object.spec)} shows the collection's counts, with --state failed its failed items; kubatch task output ITEM_ID --stderr a failed item's stderr`);
  return 0;
}
