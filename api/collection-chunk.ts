// A run of consecutive items of a TaskCollection, the unit the operator hands to one node and
// the node agent reports on: one claim (assignment) and a few status writes cover up to
// MAX_CHUNK_ITEMS items, instead of three writes per task. The operator creates chunks (owned
// by their collection) and sums their status into the collection's; people read the collection.
import { z } from "zod";
import type { KindNames } from "./group.ts";
import { objectSchema, type Stored } from "./metadata.ts";
import { timestamp } from "./names.ts";
import { parseWith, type ParseResult } from "./parse.ts";
import { conditionsSchema } from "./conditions.ts";
import { taskSlots } from "./retry.ts";
import { characters, totalCharactersRule, withRules } from "./rules.ts";
import { MAX_PREPARATION_FAILED_NODES } from "./task.ts";
import { taskDependenciesSchema } from "./task-dependencies.ts";
import { collectionFailureSchema, MAX_COLLECTION_ITEMS, maxItemChars, type CollectionFailure } from "./task-collection.ts";

export const collectionChunkNames: KindNames = {
  kind: "CollectionChunk",
  listKind: "CollectionChunkList",
  plural: "collectionchunks",
  singular: "collectionchunk",
  shortNames: ["kchunk"],
  maxNameLength: 253,
};

/** Most items in one chunk: a node runs them one after another in one of its slots. */
export const MAX_CHUNK_ITEMS = 1000;
/** Fewest items in a chunk (unless the collection holds fewer): below it the claim costs more than it saves. */
export const MIN_CHUNK_ITEMS = 10;
/** How many chunks a collection is cut into at least (so a small collection still spreads over the pool's slots). */
export const CHUNKS_PER_COLLECTION = 32;
/** Most characters of the blob names one chunk carries (a blob source's items): the chunk stays far under etcd's limits. */
export const maxChunkItemsChars = 131_072;
/** Most failed items one chunk lists; the rest are counted in failuresNotListed. */
export const MAX_CHUNK_FAILURES = 50;
/** A listed failure's bounds in UTF-8 bytes (compactFailure): 100 of them stay under 256 KiB. */
export const failureMessageBytes = 256;
export const failureItemBytes = 256;
export const failureStderrBytes = 1024;

/**
 * A failure as the failure lists hold it: the message and item cut, the stderr tail its last
 * KiB — in bytes of UTF-8, so that 100 of them stay about 230 KiB at worst, whatever the task
 * printed (a task's own status keeps its full message and 4 KiB tails).
 */
export function compactFailure(f: CollectionFailure): CollectionFailure {
  const out: CollectionFailure = {
    ...f,
    failureInfo: { ...f.failureInfo, ...(f.failureInfo.message !== undefined ? { message: headBytes(f.failureInfo.message, failureMessageBytes) } : {}) },
    stderrTail: tailBytes(f.stderrTail, failureStderrBytes),
  };
  if (f.item !== undefined) out.item = headBytes(f.item, failureItemBytes);
  return out;
}

/** At most `max` bytes from the start, whole characters, "…" ending a cut one. */
function headBytes(s: string, max: number): string {
  const b = Buffer.from(s, "utf8");
  if (b.length <= max) return s;
  return `${b.subarray(0, max - 3).toString("utf8").replace(/\uFFFD+$/, "")}…`;
}

/** The last `max` bytes, whole characters. */
function tailBytes(s: string, max: number): string {
  const b = Buffer.from(s, "utf8");
  return b.length <= max ? s : b.subarray(b.length - max).toString("utf8").replace(/^\uFFFD+/, "");
}

/** The size of each chunk of an `items`-item collection (the last one may be smaller). */
export function chunkSize(items: number): number {
  return Math.min(MAX_CHUNK_ITEMS, Math.max(MIN_CHUNK_ITEMS, Math.ceil(items / CHUNKS_PER_COLLECTION)));
}

/** How many chunks an `items`-item collection is cut into (chunkRanges' length). */
export function chunkCount(items: number): number {
  return Math.ceil(items / chunkSize(items));
}

/** The chunks of an `items`-item collection: consecutive [start, start + count) runs covering 0..items-1. */
export function chunkRanges(items: number): { start: number; count: number }[] {
  const size = chunkSize(items);
  const out: { start: number; count: number }[] = [];
  for (let start = 0; start < items; start += size) out.push({ start, count: Math.min(size, items - start) });
  return out;
}

/** Chunk n of collection `collection`: `<collection>-c<n>`, the collection's name cut to leave room. */
export function chunkName(collection: string, n: number): string {
  const suffix = `-c${n}`;
  return `${collection.slice(0, collectionChunkNames.maxNameLength - suffix.length)}${suffix}`;
}

const chunkSpecObject = z.strictObject({
    collectionName: z.string().min(1).max(253).describe("The chunk's TaskCollection (its metadata.name)."),
    jobName: z.string().min(1).max(253).describe("The collection's job (its metadata.name)."),
    start: z.int().min(0).max(MAX_COLLECTION_ITEMS - 1).describe("The chunk's first item: its 0-based index in the collection's source."),
    count: z.int().min(1).max(MAX_CHUNK_ITEMS).describe(`How many consecutive items the chunk holds (1..${MAX_CHUNK_ITEMS}).`),
    requiredSlots: taskSlots("Task slots the chunk takes on its node while it runs: the collection's task.requiredSlots.").default(1),
    dependsOn: taskDependenciesSchema.optional().describe("The collection's dependsOn: the chunk is not scheduled before these tasks completed."),
    items: z
      .array(z.string().max(maxItemChars))
      .max(MAX_CHUNK_ITEMS)
      .optional()
      .describe(`A blob source's items: the names of the chunk's blobs in order (items[k] is item start+k), as the operator listed them; at most ${maxChunkItemsChars} characters together.`),
});

export const collectionChunkSpecSchema = withRules(chunkSpecObject, [
  totalCharactersRule({
    field: "items",
    of: (s: z.output<typeof chunkSpecObject>) => s.items,
    celSize: "size(e)",
    size: characters,
    max: maxChunkItemsChars,
    message: `the items together must be at most ${maxChunkItemsChars} characters`,
  }),
  {
    rule: "!has(self.items) || size(self.items) == self.count",
    message: "must hold count names (one per item)",
    fieldPath: ".items",
    holds: (s) => s.items === undefined || s.items.length === s.count,
  },
]).describe("Items start..start+count-1 of a TaskCollection, run by one node. Created by the operator.");

export const chunkStates = ["Active", "Running", "Completed"] as const;

const count = (description: string) => z.int().min(0).max(MAX_CHUNK_ITEMS).optional().describe(description);

export const collectionChunkStatusSchema = z
  .strictObject({
    conditions: conditionsSchema,
    state: z.enum(chunkStates).optional().describe("Active (not started on a node), Running or Completed (every item completed)."),
    nodeInfo: z
      .strictObject({
        poolId: z.string().max(253).optional().describe("The pool of the node running the chunk."),
        nodeId: z.string().max(253).optional().describe("The node (node pod name) running the chunk."),
      })
      .optional()
      .describe("Where the chunk runs."),
    done: count("How many of the chunk's items completed, in order from spec.start: items start..start+done-1 are done, the rest are not."),
    succeeded: count("Items completed with result Success."),
    failed: count("Items completed with result Failure."),
    failures: z.array(collectionFailureSchema).max(MAX_CHUNK_FAILURES).optional().describe(`Failed items, at most ${MAX_CHUNK_FAILURES}.`),
    failuresNotListed: count("Failed items beyond those in failures."),
    requeueCount: z.int().min(0).optional().describe("How many times the chunk was requeued (its node was lost): its items not done ran again elsewhere."),
    startTime: timestamp("When the chunk's first item started.").optional(),
    endTime: timestamp("When the chunk's last item completed.").optional(),
    preparationFailedNodes: z
      .array(z.string().max(253))
      .max(MAX_PREPARATION_FAILED_NODES)
      .optional()
      .describe("Nodes the chunk was assigned to whose job preparation task had failed: the node's agent gave it back with its items not done unrun, and no task of the job is scheduled there again."),
  })
  .describe("Observed state of the chunk, written by the node agent running it (and by the operator when it requeues it).");

const chunkSchema = objectSchema(collectionChunkNames, collectionChunkSpecSchema, collectionChunkStatusSchema);

export type CollectionChunkSpec = z.infer<typeof collectionChunkSpecSchema>;
export type CollectionChunkSpecInput = z.input<typeof collectionChunkSpecSchema>;
export type CollectionChunkStatus = z.infer<typeof collectionChunkStatusSchema>;
export type ChunkState = (typeof chunkStates)[number];
export type CollectionChunk = z.infer<typeof chunkSchema>;
/** A CollectionChunk as a cache or list holds it, unparsed (see Stored). */
export type StoredCollectionChunk = Stored<CollectionChunkSpecInput, CollectionChunkStatus>;

export function parseCollectionChunk(input: unknown): ParseResult<CollectionChunk> {
  return parseWith(chunkSchema, input);
}
