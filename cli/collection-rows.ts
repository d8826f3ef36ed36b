// What `task list` shows of a job's task collections (pure, so it is unit-tested): a row per
// failed item, read from the chunks' status.failures (the only items reported one by one),
// and a summary per collection with its exact counts from the collection's status.
import { MAX_CHUNK_FAILURES } from "../api/collection-chunk.ts";
import { collectionItem, collectionItemTask } from "../api/task-collection-items.ts";
import { parseTaskCollection, type CollectionFailure, type ResolvedCollectionSpec } from "../api/task-collection.ts";
import type { CollectionChunkObject, TaskCollectionObject } from "../kube/objects.ts";
import { collectionJob } from "./kube.ts";
import type { Counts } from "./progress.ts";
import type { TaskRow } from "./task-row.ts";
import type { StateFilter } from "./task-state.ts";

/**
 * The items of these collections by state, from their statuses (which sum their chunks'): the
 * total is each one's itemCount, or the items it has counted while its source is not all listed
 * yet (`unlisted` counts those collections); items neither running nor completed are active.
 */
export function collectionItemCounts(collections: readonly TaskCollectionObject[]): Counts & { unlisted: number } {
  const sum = { total: 0, active: 0, running: 0, succeeded: 0, failed: 0, unlisted: 0 };
  for (const tc of collections) {
    const { active = 0, running = 0, succeeded = 0, failed = 0 } = tc.status?.counts ?? {};
    const known = tc.status?.itemCount;
    const total = known ?? active + running + succeeded + failed;
    sum.total += total;
    sum.running += running;
    sum.succeeded += succeeded;
    sum.failed += failed;
    sum.active += Math.max(0, total - running - succeeded - failed);
    if (known === undefined && tc.status?.state !== "Completed") sum.unlisted++;
  }
  return sum;
}

/** A failed item as a task row, with its collection and index. */
export type ItemRow = TaskRow & { collection: string; index: number };

export interface CollectionSummary {
  name: string;
  job: string;
  idPrefix: string;
  state: string;
  /** Undefined while the operator has not counted the source (a blob source before it is listed). */
  itemCount: number | undefined;
  counts: { active: number; running: number; succeeded: number; failed: number };
  /** Failed items no chunk lists (each keeps its first MAX_CHUNK_FAILURES); undefined when the chunks were not read. */
  failuresNotListed: number | undefined;
}

export function collectionPrefix(tc: TaskCollectionObject): string {
  return tc.spec?.idPrefix ?? tc.metadata?.name ?? "";
}

/** Item `index`'s command line as its task runs it, or the template when it cannot be filled in here. */
function itemCommandLine(spec: ResolvedCollectionSpec | undefined, template: string, f: CollectionFailure): string {
  if (!spec) return template;
  try {
    const item = f.item ?? collectionItem(spec.source, f.index);
    const task = item === undefined ? undefined : collectionItemTask(spec, f.index, item);
    return task?.ok ? task.value.commandLine : template;
  } catch {
    return template; // an index past the source
  }
}

/** A row per failed item that the collection's chunks list (chunks of other collections are ignored). */
export function failureRows(tc: TaskCollectionObject, chunks: readonly CollectionChunkObject[]): ItemRow[] {
  const collection = tc.metadata?.name ?? "";
  const parsed = parseTaskCollection(tc); // once: a collection may list 100 failures per chunk
  const spec = parsed.ok ? parsed.value.spec : undefined;
  const template = tc.spec?.task?.commandLine ?? "";
  const rows: ItemRow[] = [];
  for (const chunk of chunks) {
    if (chunk.spec?.collectionName !== collection) continue;
    for (const f of chunk.status?.failures ?? []) {
      rows.push({
        name: f.id,
        job: collectionJob(tc) ?? "",
        state: "Completed",
        result: "Failure",
        node: f.nodeId ?? "",
        pool: chunk.status?.nodeInfo?.poolId ?? "",
        exitCode: f.exitCode,
        retries: f.retryCount,
        requeues: 0, // a chunk's requeues are not counted per item
        durationMs: undefined, // not reported per item
        failureCode: f.failureInfo?.code ?? "",
        failureMessage: f.failureInfo?.message ?? "",
        item: f.item ?? "",
        commandLine: itemCommandLine(spec, template, f),
        outcome: "failed",
        collection,
        index: f.index,
      });
    }
  }
  return rows.sort((a, b) => a.index - b.index);
}

/** The collection's counts (its status, which sums its chunks'), and with its chunks read, the failed items they could not list. */
export function collectionSummary(tc: TaskCollectionObject, chunks?: readonly CollectionChunkObject[]): CollectionSummary {
  const s = tc.status;
  const name = tc.metadata?.name ?? "";
  const own = chunks?.filter((c) => c.spec?.collectionName === name);
  return {
    name,
    job: collectionJob(tc) ?? "",
    idPrefix: collectionPrefix(tc),
    state: s?.state ?? "Active",
    itemCount: s?.itemCount,
    counts: { active: s?.counts?.active ?? 0, running: s?.counts?.running ?? 0, succeeded: s?.counts?.succeeded ?? 0, failed: s?.counts?.failed ?? 0 },
    failuresNotListed: own?.reduce((n, c) => n + (c.status?.failuresNotListed ?? 0), 0),
  };
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

/**
 * One line per collection, `collection sweep: 20000 items, 19996 succeeded, 4 failed, 0 running,
 * 0 active (state Completed)`, then what the rows above leave out under this --state filter.
 */
export function summaryLines(s: CollectionSummary, filter: StateFilter | undefined): string[] {
  const { active, running, succeeded, failed } = s.counts;
  const items = s.itemCount === undefined ? "items not counted yet" : plural(s.itemCount, "item");
  const lines = [`collection ${s.name}: ${items}, ${succeeded} succeeded, ${failed} failed, ${running} running, ${active} active (state ${s.state})`];
  const note = (text: string) => lines.push(`  ${text}`);
  // Only failed items are reported one by one; the others are counted.
  const counted = filter === "active" ? active : filter === "running" ? running : filter === "succeeded" || filter === "completed" ? succeeded : undefined;
  if (filter === undefined) {
    if (failed > 0) note(`its ${plural(failed, "failed item")} (ids ${s.idPrefix}-<index>): --state failed lists them`);
  } else if (counted !== undefined && counted > 0) {
    const which = filter === "completed" ? "succeeded" : filter;
    note(`${plural(counted, `${which} item`)} counted, not listed: a collection reports only its failed items one by one`);
  }
  if ((filter === "failed" || filter === "completed") && s.failuresNotListed) {
    note(`${plural(s.failuresNotListed, "failed item")} not listed: each chunk of the collection keeps only its first ${MAX_CHUNK_FAILURES} failures and counts the rest`);
  }
  return lines;
}
