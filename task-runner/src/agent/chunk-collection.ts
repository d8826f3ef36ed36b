// The TaskCollection a chunk's items come from, as the agent reads it when the chunk starts
// here: parsed, and checked for what this agent can run. A collection that is gone, invalid,
// or of another job fails the chunk's items with a failureInfo that says so, rather than
// failing the agent; a read that fails for a while (API server away) is retried until the
// run stops.
import { setTimeout as wait } from "node:timers/promises";
import type { CollectionChunkSpec } from "../../../api/collection-chunk.ts";
import type { FailureInfo } from "../../../api/failure-info.ts";
import { formatProblems } from "../../../api/parse.ts";
import { parseTaskCollection, type ResolvedCollectionSpec } from "../../../api/task-collection.ts";
import { errorMessage, httpStatus } from "../../../kube/errors.ts";

/** failureInfo.code of a chunk's items whose collection cannot be run from. */
export const collectionUnavailable = "CollectionUnavailable";

export type CollectionLookup = { ok: true; spec: ResolvedCollectionSpec } | { ok: false; failureInfo: FailureInfo };

const unavailable = (message: string): CollectionLookup => ({ ok: false, failureInfo: { category: "UserError", code: collectionUnavailable, message: message.slice(0, 4096) } });

/** Whether the chunk's items can run from the collection as read (`raw`: the API's answer, undefined when not found). */
export function checkCollection(raw: unknown, chunk: CollectionChunkSpec): CollectionLookup {
  const name = `TaskCollection ${chunk.collectionName}`;
  if (raw === undefined) return unavailable(`${name} was not found`);
  const parsed = parseTaskCollection(raw);
  if (!parsed.ok) return unavailable(`${name} is invalid: ${formatProblems(parsed.problems)}`);
  const spec = parsed.value.spec;
  if (spec.jobName !== chunk.jobName) return unavailable(`${name} is of job ${spec.jobName}, the chunk of job ${chunk.jobName}`);
  return { ok: true, spec };
}

/** Reads the chunk's collection with `get` (404: not found), retrying other failures until `signal` aborts (then undefined). */
export async function lookUpCollection(get: () => Promise<unknown>, chunk: CollectionChunkSpec, signal: AbortSignal, log: (line: string) => void): Promise<CollectionLookup | undefined> {
  for (let failures = 0; !signal.aborted; failures++) {
    try {
      return checkCollection(await get(), chunk);
    } catch (err) {
      if (httpStatus(err) === 404) return checkCollection(undefined, chunk);
      if (failures === 0 || failures % 10 === 0) log(`TaskCollection ${chunk.collectionName} not read (${errorMessage(err)}); retrying`);
      await wait(Math.min(10_000, 500 * 2 ** failures), undefined, { signal }).catch(() => undefined);
    }
  }
  return undefined;
}
