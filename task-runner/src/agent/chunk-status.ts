// A chunk's status as its run reports it (pure): the counts and failures from the status the
// run started from plus the items it finished, and when the next batched write is due — a
// write at the start, at most one every interval while items finish, and one at the end, so
// short items cost a few writes per chunk rather than three per item.
import { failureExitCode } from "../../../api/failure-codes.ts";
import { compactFailure, MAX_CHUNK_FAILURES, type CollectionChunkStatus } from "../../../api/collection-chunk.ts";
import type { CollectionFailure } from "../../../api/task-collection.ts";
import type { ChunkBase, ItemResult } from "./chunk-record.ts";

/** The shortest time between two writes while items finish. */
export const chunkWriteIntervalMs = 2_000;

/** The counts and failures a write reports (the same fields as the run's starting point). */
export type ChunkProgress = ChunkBase;

/** The status a chunk starts from: what an earlier run (before a requeue) left, zero when none. */
export function chunkBase(status: CollectionChunkStatus | undefined): ChunkBase {
  return {
    done: status?.done ?? 0,
    succeeded: status?.succeeded ?? 0,
    failed: status?.failed ?? 0,
    failures: status?.failures ?? [],
    failuresNotListed: status?.failuresNotListed ?? 0,
  };
}

/** The failure list entry of a failed item (compactFailure: its stderr tail, message and item cut). */
export function failureOf(r: ItemResult, nodeId: string): CollectionFailure {
  return compactFailure({
    index: r.index,
    id: r.id,
    ...(r.item !== undefined ? { item: r.item } : {}),
    ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
    failureInfo: r.failureInfo ?? { category: "UserError", code: failureExitCode, message: `the task exited with code ${r.exitCode}` },
    stderrTail: r.stderrTail ?? "",
    retryCount: r.retryCount,
    nodeId,
  });
}

/** base plus this run's finished items: failures listed in item order up to MAX_CHUNK_FAILURES, the rest counted. */
export function chunkProgress(base: ChunkBase, results: readonly ItemResult[], nodeId: string, maxFailures = MAX_CHUNK_FAILURES): ChunkProgress {
  const failures = [...base.failures];
  let failuresNotListed = base.failuresNotListed;
  let succeeded = base.succeeded;
  let failed = base.failed;
  for (const r of results) {
    if (r.result === "Success") {
      succeeded++;
      continue;
    }
    failed++;
    if (failures.length < maxFailures) failures.push(failureOf(r, nodeId));
    else failuresNotListed++;
  }
  return { done: base.done + results.length, succeeded, failed, failures, failuresNotListed };
}

export type ChunkReport = {
  progress: ChunkProgress;
  nodeInfo: { poolId: string; nodeId: string };
  startTime: string;
  /** Set on the last write: every item is done. */
  endTime?: string;
  /** `failed` as the last write that landed said it (undefined: none landed yet): unchanged failures are not sent again. */
  writtenFailed?: number;
};

/** The status merge patch body: Running while items remain, Completed with endTime at the end. */
export function chunkStatusBody(r: ChunkReport): Record<string, unknown> {
  const { failures, failuresNotListed, ...counts } = r.progress;
  return {
    state: r.endTime ? "Completed" : "Running",
    nodeInfo: r.nodeInfo,
    startTime: r.startTime,
    ...(r.endTime ? { endTime: r.endTime } : {}),
    ...counts,
    ...(r.writtenFailed === counts.failed ? {} : { failures, failuresNotListed }),
  };
}

/**
 * How long until the next intermediate write: 0 (now), the rest of the interval since the
 * last one began, or undefined when there is nothing new to report.
 */
export function writeDelay(now: number, lastWriteAt: number | undefined, unreported: boolean, intervalMs = chunkWriteIntervalMs): number | undefined {
  if (!unreported) return undefined;
  if (lastWriteAt === undefined) return 0;
  return Math.max(0, lastWriteAt + intervalMs - now);
}
