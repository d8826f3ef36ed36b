// Runs one CollectionChunk assigned to this node: its items one after another (a chunk holds
// one slot lane; the operator hands a node as many chunks as it has slots), each exactly as a
// single task runs (executeTask: the job preparation gate first, tasks/<job>/<id>, AZ_BATCH_*).
// Each finished item is on disk (chunk-record.ts) before it counts; the status is written in
// batches (chunk-status.ts): at the start, at most once per interval, and Completed at the end.
// A succeeded item's folder is removed (a million items must not fill the node); a failed
// one's stays for people to read its stdout and stderr.
import { rm } from "node:fs/promises";
import type { CollectionChunkSpec, CollectionChunkStatus } from "../../../api/collection-chunk.ts";
import { withPreparationFailedNode } from "../../../api/task.ts";
import type { FailureInfo } from "../../../api/failure-info.ts";
import type { Job } from "../../../api/job.ts";
import { nodeLayout, type NodeIdentity } from "../../../api/node-layout.ts";
import { formatProblems } from "../../../api/parse.ts";
import { collectionItemId, ID_PREFIX_PATTERN } from "../../../api/task-collection.ts";
import { chunkItem, collectionItemTask } from "../../../api/task-collection-items.ts";
import { errorMessage } from "../../../kube/errors.ts";
import { collectionUnavailable, type CollectionLookup } from "./chunk-collection.ts";
import { createChunkRecord, openChunkRecord, readChunkRecord, removeChunkRecord, resumePoint, type ItemResult } from "./chunk-record.ts";
import { chunkBase, chunkProgress, chunkStatusBody, writeDelay } from "./chunk-status.ts";
import type { Readiness } from "./job-preparation.ts";
import { NotAssignedHere, ReportStopped, type RunRef } from "./status-writer.ts";
import { executeTask, type ExecutionContext } from "./task-execution.ts";

/** failureInfo.code of an item whose task cannot be made from the collection's template (a filled-in value breaks a Task's limit). */
export const invalidTaskFromTemplate = "InvalidTaskFromTemplate";

export type ChunkRunDeps = {
  ref: RunRef;
  spec: CollectionChunkSpec;
  /** The chunk's status when the run began: an earlier run's counts and failures go on from it. */
  status: CollectionChunkStatus | undefined;
  /** The run's record folder, in the agent's own state folder. */
  recordDir: string;
  node: NodeIdentity;
  /** The chunk's collection (undefined: the run stopped while reading it). */
  collection: (signal: AbortSignal) => Promise<CollectionLookup | undefined>;
  /** The chunk's job (undefined when not found, as for a task) and its preparation task's gate on this node. */
  prepare: (signal: AbortSignal) => Promise<{ job?: Job; ready: Readiness }>;
  /** How items run (the agent's execution context; signal, resume and onAttempt are the runner's). */
  context: ExecutionContext;
  /**
   * Writes a status merge patch (status-writer.ts's writeStatus on the chunk), returning the new
   * resourceVersion; throws NotAssignedHere when the chunk is no longer this run's, ReportStopped
   * when the agent stops. persistent: retried until it lands (the last write only).
   */
  write: (status: Record<string, unknown>, persistent: boolean) => Promise<string>;
  /** Ends the run: the chunk left this node or the agent stops (the running item's process is stopped). */
  signal: AbortSignal;
  /** True while the agent stops: the record stays for the next agent of this node pod. */
  stopping: () => boolean;
  log: (line: string) => void;
  /** For tests: the time between intermediate writes. */
  intervalMs?: number;
};

/**
 * Runs the chunk to its end; returns the resourceVersion of its last write — Completed, or the
 * give-back after a failed job preparation — or undefined when it did not land (stopped, taken away).
 */
export async function runChunk(d: ChunkRunDeps): Promise<string | undefined> {
  const { ref, spec } = d;
  const what = `chunk ${ref.namespace}/${ref.name}`;
  const end = spec.start + spec.count;
  let record = await readChunkRecord(d.recordDir, ref.uid, ref.assignment);
  if (record) {
    d.log(`${what}: going on after the ${record.results.length} item(s) an earlier agent finished`);
  } else {
    const base = chunkBase(d.status);
    record = await createChunkRecord(d.recordDir, { uid: ref.uid, assignment: ref.assignment, first: spec.start + base.done, startTime: d.status?.startTime ?? new Date().toISOString(), base });
  }
  const { header } = record;
  const results = [...record.results];
  const { next, resume } = resumePoint(record);
  const appender = await openChunkRecord(d.recordDir, record);
  const local = new AbortController();
  const abort = () => local.abort();
  d.signal.addEventListener("abort", abort, { once: true });
  if (d.signal.aborted) abort();
  const nodeInfo = { poolId: d.node.poolId, nodeId: d.node.nodeId };
  const body = (endTime?: string) => {
    const progress = chunkProgress(header.base, results, d.node.nodeId);
    return { failed: progress.failed, status: chunkStatusBody({ progress, nodeInfo, startTime: header.startTime, endTime, writtenFailed }) };
  };

  // Intermediate writes: one at a time, the first at once (Running), then at most one per
  // interval while items finish. A failed one is not retried: the next one carries it all.
  let writtenFailed: number | undefined;
  let reported = -1;
  let lastWriteAt: number | undefined;
  let inFlight: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  /** Set once the items are over: only the Completed write follows. */
  let closed = false;
  const writeNow = () => {
    const n = results.length;
    const { failed, status } = body();
    lastWriteAt = Date.now();
    inFlight = d
      .write(status, false)
      .then(
        () => {
          reported = n;
          writtenFailed = failed;
        },
        (err: unknown) => {
          if (err instanceof NotAssignedHere) {
            d.log(`${err.message}: stopping the chunk`);
            local.abort();
          } else if (!(err instanceof ReportStopped)) d.log(`${what}: status not written (${errorMessage(err)}); again with the next items`);
        },
      )
      .finally(() => {
        inFlight = undefined;
        schedule();
      });
  };
  const schedule = () => {
    if (closed || timer || inFlight || local.signal.aborted) return;
    const delay = writeDelay(Date.now(), lastWriteAt, results.length !== reported, d.intervalMs);
    if (delay !== undefined) timer = setTimeout(() => ((timer = undefined), writeNow()), delay);
  };

  /** The job's preparation failed on this node: the chunk goes back with its items not done unrun. */
  let refused: FailureInfo | undefined;
  try {
    if (next < end) {
      schedule();
      const collection = await d.collection(local.signal);
      const prep = collection?.ok && !local.signal.aborted ? await d.prepare(local.signal) : undefined;
      if (prep && !prep.ready.ok) refused = prep.ready.failureInfo;
      for (let index = next; index < end && !local.signal.aborted && !refused; index++) {
        const r = await runItem(index, collection, prep, index === next ? resume : undefined);
        // Stopped mid-item: its outcome is dropped; its started attempt stays in the record.
        if (local.signal.aborted || !r) break;
        await appender.append(r);
        results.push(r);
        if (r.result === "Success") await rm(nodeLayout(d.node.rootDir).taskDir(spec.jobName, r.id), { recursive: true, force: true }).catch(() => undefined);
        schedule();
      }
    }
  } finally {
    closed = true;
    clearTimeout(timer);
    await inFlight;
    d.signal.removeEventListener("abort", abort);
    await appender.close();
  }
  if (local.signal.aborted) {
    if (!d.stopping()) await removeChunkRecord(d.recordDir).catch(() => undefined);
    return undefined;
  }
  try {
    if (refused) {
      // Back to Active, naming this node: the operator unassigns it and puts none of the job's work here again.
      const rv = await d.write({ ...body().status, state: "Active", nodeInfo: null, preparationFailedNodes: withPreparationFailedNode(d.status?.preparationFailedNodes, d.node.nodeId) }, true);
      d.log(`${what}: given back with ${end - next} item(s) not run: ${refused.message ?? refused.code}`);
      await removeChunkRecord(d.recordDir).catch(() => undefined);
      return rv;
    }
    const rv = await d.write(body(new Date().toISOString()).status, true);
    await removeChunkRecord(d.recordDir).catch(() => undefined);
    return rv;
  } catch (err) {
    // Stopping: the record stays; the next agent of this node pod writes it.
    if (err instanceof ReportStopped) return undefined;
    if (!(err instanceof NotAssignedHere)) throw err;
    d.log(`${err.message}: this node's results are not reported`);
    await removeChunkRecord(d.recordDir).catch(() => undefined);
    return undefined;
  }

  /** Item `index`'s result, or undefined when the run stopped before it had one. */
  async function runItem(index: number, collection: CollectionLookup | undefined, prep: { job?: Job; ready: Readiness } | undefined, resumed: ExecutionContext["resume"]): Promise<ItemResult | undefined> {
    if (!collection) return undefined;
    if (!collection.ok) return failed(index, fallbackId(spec.collectionName, index), undefined, collection.failureInfo);
    const source = collection.spec.source;
    const id = collectionItemId(collection.spec.idPrefix, index);
    const item = chunkItem(source, spec, index);
    if (item === undefined) return failed(index, id, undefined, { category: "UserError", code: collectionUnavailable, message: `TaskCollection ${spec.collectionName} has no item ${index}` });
    const task = collectionItemTask(collection.spec, index, item);
    if (!task.ok) return failed(index, id, item, { category: "UserError", code: invalidTaskFromTemplate, message: `item ${index}'s task is not a valid Task: ${formatProblems(task.problems)}`.slice(0, 4096) });
    if (!prep?.ready.ok) return undefined;
    const o = await executeTask({ ...task.value, jobName: spec.jobName, id }, prep.job, {
      ...d.context,
      signal: local.signal,
      resume: resumed,
      onAttempt: async (retryCount, at, interruptions) => {
        // On disk before the process starts: an agent that dies now leaves a record that counts the attempt.
        await appender.append({ start: index, retryCount, interruptions, at: at.toISOString() }).catch((err: unknown) => d.log(`${what}: item ${index}'s attempt not recorded on disk: ${errorMessage(err)}`));
      },
    });
    const r: ItemResult = { index, id, item, result: o.result, retryCount: o.retryCount, ...(o.exitCode !== undefined ? { exitCode: o.exitCode } : {}) };
    return o.result === "Success" ? r : { ...r, failureInfo: o.failureInfo, stderrTail: o.stderrTail?.slice(-1024) ?? "" };
  }
}

function failed(index: number, id: string, item: string | undefined, failureInfo: FailureInfo): ItemResult {
  return { index, id, ...(item !== undefined ? { item } : {}), result: "Failure", retryCount: 0, failureInfo };
}

/** An item's id when its collection cannot be read: the default prefix (the collection's name), or `item` when that name is not a prefix. */
function fallbackId(collectionName: string, index: number): string {
  return collectionItemId(ID_PREFIX_PATTERN.test(collectionName) ? collectionName : "item", index);
}
