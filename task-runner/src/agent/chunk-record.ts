// What the agent knows about its run of one CollectionChunk, kept in its own state folder
// (`<state dir>/chunks/<namespace>/<chunk>/kubatch-chunk.jsonl`, like task-record.ts's: user
// code cannot forge it): a header naming the assignment and the status the run started from,
// then one line per attempt started and one per item finished, appended and fsync'd before the
// item counts as done. An agent restarted in the same node pod reads it back, reports what
// the API server may not have heard yet, and goes on after the last finished item — the item
// cut short goes on from its attempts, as a single task's run does. A record of another uid or
// assignment (the chunk was requeued) is no record.
import { mkdir, open, readFile, rename, rm, truncate } from "node:fs/promises";
import { join } from "node:path";
import type { CollectionChunkStatus } from "../../../api/collection-chunk.ts";
import type { FailureInfo } from "../../../api/failure-info.ts";
import type { ExecutionContext } from "./task-execution.ts";

/** The counts and failures the chunk's status held when this run started (items of earlier runs, before a requeue). */
export type ChunkBase = Required<Pick<CollectionChunkStatus, "done" | "succeeded" | "failed" | "failures" | "failuresNotListed">>;

export type ChunkHeader = {
  uid: string;
  assignment: string;
  /** The first item this run runs: spec.start + base.done. */
  first: number;
  /** The chunk's startTime (the status's when an earlier run set it). */
  startTime: string;
  base: ChunkBase;
};

/** An attempt of item `start` began (written before its process starts). */
export type ItemStart = { start: number; retryCount: number; interruptions: number; at: string };

/** An item finished. failureInfo and stderrTail (≤ 1 KiB) only for failures. */
export type ItemResult = {
  index: number;
  id: string;
  item?: string;
  result: "Success" | "Failure";
  exitCode?: number;
  retryCount: number;
  failureInfo?: FailureInfo;
  stderrTail?: string;
};

export type ChunkRecord = {
  header: ChunkHeader;
  /** Finished items, in order from header.first. */
  results: ItemResult[];
  /** Attempts of the next item (the one after the last result) an earlier agent started. */
  starts: ItemStart[];
  /** Bytes of the file up to the last whole line: a torn last line is cut off before appending. */
  cleanLength: number;
};

export const chunkRecordFileName = "kubatch-chunk.jsonl";

/**
 * The record in `text` if it belongs to (uid, assignment), or undefined. Lines after the first
 * one that is torn or out of order are ignored (an append cut short by a crash).
 */
export function parseChunkRecord(text: string, uid: string, assignment: string): ChunkRecord | undefined {
  let pos = text.indexOf("\n");
  if (pos < 0) return undefined;
  const header = parseLine(text.slice(0, pos)) as ChunkHeader | undefined;
  if (!isHeader(header) || header.uid !== uid || header.assignment !== assignment) return undefined;
  const record: ChunkRecord = { header, results: [], starts: [], cleanLength: pos + 1 };
  for (;;) {
    const end = text.indexOf("\n", record.cleanLength);
    if (end < 0) break;
    const line = parseLine(text.slice(record.cleanLength, end));
    const next = header.first + record.results.length;
    if (isResult(line) && line.index === next) {
      record.results.push(line);
      record.starts = [];
    } else if (isStart(line) && line.start === next) {
      record.starts.push(line);
    } else {
      break;
    }
    record.cleanLength = end + 1;
  }
  return record;
}

/** Where the run goes on: the next item, and — when an earlier agent started it — its attempts so far (executeTask's resume). */
export function resumePoint(record: Pick<ChunkRecord, "header" | "results" | "starts">): { next: number; resume?: NonNullable<ExecutionContext["resume"]> } {
  const next = record.header.first + record.results.length;
  const first = record.starts[0];
  const last = record.starts.at(-1);
  if (!first || !last) return { next };
  return {
    next,
    // The last attempt ended with the earlier agent: one more interruption in a row.
    resume: { attempts: last.retryCount + 1, interruptions: last.interruptions + 1, startTime: new Date(first.at), ...(last.retryCount > 0 ? { lastRetryTime: new Date(last.at) } : {}) },
  };
}

export async function readChunkRecord(dir: string, uid: string, assignment: string): Promise<ChunkRecord | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, chunkRecordFileName), "utf8");
  } catch {
    return undefined;
  }
  return parseChunkRecord(text, uid, assignment);
}

/** A new record holding only its header, written whole (temp file, fsync, rename): an earlier run's record is replaced. */
export async function createChunkRecord(dir: string, header: ChunkHeader): Promise<ChunkRecord> {
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${chunkRecordFileName}.tmp`);
  const text = JSON.stringify(header) + "\n";
  const fh = await open(tmp, "w");
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, chunkRecordFileName));
  return { header, results: [], starts: [], cleanLength: Buffer.byteLength(text) };
}

/** Appends lines to a record, each on disk (fsync'd) before the returned promise settles. */
export type ChunkRecordAppender = { append: (line: ItemStart | ItemResult) => Promise<void>; close: () => Promise<void> };

/** Opens `record`'s file for appending, cutting off a torn last line first. */
export async function openChunkRecord(dir: string, record: Pick<ChunkRecord, "cleanLength">): Promise<ChunkRecordAppender> {
  const path = join(dir, chunkRecordFileName);
  await truncate(path, record.cleanLength);
  const fh = await open(path, "a");
  return {
    append: async (line) => {
      await fh.write(JSON.stringify(line) + "\n");
      await fh.datasync();
    },
    close: () => fh.close(),
  };
}

export async function removeChunkRecord(dir: string): Promise<void> {
  await rm(join(dir, chunkRecordFileName), { force: true });
}

function parseLine(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;

function isHeader(v: unknown): v is ChunkHeader {
  if (!isObject(v) || typeof v.uid !== "string" || typeof v.assignment !== "string" || !isCount(v.first) || typeof v.startTime !== "string" || !isObject(v.base)) return false;
  const b = v.base;
  return isCount(b.done) && isCount(b.succeeded) && isCount(b.failed) && isCount(b.failuresNotListed) && Array.isArray(b.failures);
}

function isStart(v: unknown): v is ItemStart {
  return isObject(v) && isCount(v.start) && isCount(v.retryCount) && isCount(v.interruptions) && typeof v.at === "string";
}

function isResult(v: unknown): v is ItemResult {
  return isObject(v) && isCount(v.index) && typeof v.id === "string" && (v.result === "Success" || v.result === "Failure") && isCount(v.retryCount);
}
