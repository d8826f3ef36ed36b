// A collection's status, summed from its chunks' (pure): exact counts at any size, the first
// MAX_LISTED_FAILURES failed items in index order, the rest counted. Nothing here grows with
// the number of items.
import type { CollectionChunkObject } from "../../../kube/objects.ts";
import { MAX_LISTED_FAILURES, type CollectionFailure, type CollectionState, type TaskCollectionStatus } from "../../../api/task-collection.ts";

type Chunk = Pick<CollectionChunkObject, "spec" | "status">;

const earliest = (a: string | undefined, b: string | undefined) => (a === undefined || (b !== undefined && b < a) ? b : a);
const latest = (a: string | undefined, b: string | undefined) => (a === undefined || (b !== undefined && b > a) ? b : a);

/** The status fields the chunks decide, for a collection of `itemCount` items. */
export function collectionStatus(itemCount: number, chunks: readonly Chunk[]): Pick<TaskCollectionStatus, "state" | "itemCount" | "counts" | "startTime" | "endTime" | "failures" | "failuresNotListed"> {
  let succeeded = 0;
  let failed = 0;
  let running = 0;
  let covered = 0;
  let allCompleted = true;
  let started = false;
  let startTime: string | undefined;
  let endTime: string | undefined;
  const failures: CollectionFailure[] = [];
  for (const c of [...chunks].sort((a, b) => (a.spec?.start ?? 0) - (b.spec?.start ?? 0))) {
    const count = c.spec?.count ?? 0;
    const s = c.status ?? {};
    covered += count;
    succeeded += s.succeeded ?? 0;
    failed += s.failed ?? 0;
    if (s.state === "Running" && (s.done ?? 0) < count) running++;
    if (s.state !== "Completed") allCompleted = false;
    if (s.state === "Running" || (s.done ?? 0) > 0 || s.startTime !== undefined) started = true;
    startTime = earliest(startTime, s.startTime);
    endTime = latest(endTime, s.endTime);
    for (const f of s.failures ?? []) if (failures.length < MAX_LISTED_FAILURES) failures.push(f);
  }
  const done = allCompleted && covered >= itemCount;
  const state: CollectionState = done ? "Completed" : started ? "Running" : "Active";
  return {
    state,
    itemCount,
    counts: { active: Math.max(0, itemCount - succeeded - failed - running), running, succeeded, failed },
    startTime,
    endTime: done ? endTime : undefined,
    failures: failures.length > 0 ? failures : undefined,
    failuresNotListed: failed > failures.length ? failed - failures.length : undefined,
  };
}
