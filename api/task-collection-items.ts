// A collection's items and the task each one runs: what the operator counts and hands out, and
// what the node agent runs for item i (it adds the AZ_BATCH_* environment as for any task,
// node-layout.ts's batchEnvironment, from the id below).
import { posix } from "node:path";
import type { CollectionChunkSpec } from "./collection-chunk.ts";
import { parseWith, type ParseResult } from "./parse.ts";
import { quoteAt } from "./shell-quote.ts";
import { collectionItemId, type CollectionSource, type ResolvedCollectionSpec } from "./task-collection.ts";
import { taskSpecSchema, type TaskSpec, type TaskSpecInput } from "./task.ts";
import { expandTemplate, type TemplateVars } from "./template.ts";

/** How many items the source holds when the spec says (a range, a list); a blob source's count is known once listed. */
export function collectionItemCount(source: Pick<CollectionSource, "range" | "items">): number | undefined {
  if (source.range) return source.range.end - source.range.start + 1;
  if (source.items) return source.items.length;
  return undefined;
}

/** Item i of a range (the number, as text) or a list (its string); a blob source's items come from listing it. */
export function collectionItem(source: CollectionSource, index: number): string | undefined {
  checkIndex(source, index);
  if (source.range) return String(source.range.start + index);
  return source.items?.[index];
}

/**
 * Item `index` of a chunk's run: a range's number or a list's string from the source, a blob's
 * name from the chunk (the operator listed the blobs into their chunks). Undefined when the
 * chunk or the source holds no such item (changed since the chunk was cut).
 */
export function chunkItem(source: CollectionSource, chunk: Pick<CollectionChunkSpec, "start" | "count" | "items">, index: number): string | undefined {
  if (index < chunk.start || index >= chunk.start + chunk.count) return undefined;
  if (source.blobs) return chunk.items?.[index - chunk.start];
  const count = collectionItemCount(source);
  return count !== undefined && index < count ? collectionItem(source, index) : undefined;
}

/** A blob's URL: the container URL's path and the blob's name (each segment percent-encoded), the container URL's query (a SAS) kept. */
export function blobUrlOf(containerUrl: string, blobName: string): string {
  const url = new URL(containerUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/${blobName.split("/").map(encodeURIComponent).join("/")}`;
  return url.toString();
}

/** What item `index` (`item`: the number, the list's string or the blob's name) offers to the templates. */
export function collectionTemplateVars(source: CollectionSource, index: number, item: string): TemplateVars {
  if (source.range) return { item, index, name: item };
  const vars: TemplateVars = { item, index, name: posix.basename(item) };
  if (source.blobs) Object.assign(vars, { blobName: item, blobUrl: blobUrlOf(source.blobs.containerUrl, item) });
  return vars;
}

/**
 * Item `index`'s task: the template filled in for `item` (the command line with each value
 * quoted to stay one word, environment values and output paths as they are), the id
 * `<idPrefix>-<index>`, the collection's job and dependencies. Checked against the Task schema,
 * since a filled-in value can break a Task's limit (a value over 32 KiB, a blob name with '..'
 * in an output file pattern): problems name the task's fields (`outputFiles[0].filePattern`).
 */
export function collectionItemTask(spec: ResolvedCollectionSpec, index: number, item: string): ParseResult<TaskSpec> {
  checkIndex(spec.source, index);
  const vars = collectionTemplateVars(spec.source, index, item);
  const t = spec.task;
  const task: TaskSpecInput = {
    jobName: spec.jobName,
    id: collectionItemId(spec.idPrefix, index),
    displayName: item.slice(0, 1024),
    commandLine: expandTemplate(t.commandLine, vars, quoteAt),
    constraints: t.constraints,
    requiredSlots: t.requiredSlots,
  };
  if (t.environmentSettings) task.environmentSettings = t.environmentSettings.map((e) => (e.value === undefined ? e : { ...e, value: expandTemplate(e.value, vars) }));
  if (t.resourceFiles) task.resourceFiles = t.resourceFiles;
  if (t.outputFiles) {
    task.outputFiles = t.outputFiles.map((o) => {
      const { path } = o.destination.container;
      const container = path === undefined ? o.destination.container : { ...o.destination.container, path: expandTemplate(path, vars) };
      return { ...o, filePattern: expandTemplate(o.filePattern, vars), destination: { container } };
    });
  }
  if (t.exitConditions) task.exitConditions = t.exitConditions;
  if (t.authenticationTokenSettings) task.authenticationTokenSettings = t.authenticationTokenSettings;
  if (t.userIdentity) task.userIdentity = t.userIdentity;
  if (spec.dependsOn) task.dependsOn = spec.dependsOn;
  return parseWith(taskSpecSchema, task);
}

function checkIndex(source: CollectionSource, index: number): void {
  const count = collectionItemCount(source);
  if (!Number.isSafeInteger(index) || index < 0 || (count !== undefined && index >= count)) {
    throw new RangeError(`item index ${index} is outside the collection's items${count === undefined ? "" : ` (0..${count - 1})`}`);
  }
}
