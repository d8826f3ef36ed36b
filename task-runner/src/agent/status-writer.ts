// The agent's status writes, of Tasks and of CollectionChunks (both assigned to a node the same
// way): merge patches on the status subresource with the
// resourceVersion the agent last saw, so a task requeued or reassigned meanwhile is never
// overwritten. On a conflict the task is read again and the write retried while it is still
// this run's: same uid, still assigned here under the same assignment, not completed by the
// operator. A Completed write that fails otherwise (5xx, 429, a reset or refused connection,
// a timeout) is retried with backoff until it lands or the run is no longer this node's —
// never answered by running the task again.
import { setTimeout as wait } from "node:timers/promises";
import type { CustomObjectsApi } from "@kubernetes/client-node";
import { mergePatch } from "../../../kube/apply.ts";
import { errorMessage, httpStatus } from "../../../kube/errors.ts";
import { GROUP, VERSION } from "../../../api/group.ts";
import type { KindNames } from "../../../api/group.ts";
import { assignmentAnnotation, nodeLabel } from "../../../api/labels.ts";

const fieldManager = "kubatch-agent";

/** Which run a write belongs to. */
export type RunRef = { namespace: string; name: string; uid: string; node: string; assignment: string };

type Obj = { metadata: { uid?: string; resourceVersion: string; labels?: Record<string, string>; annotations?: Record<string, string> }; status?: { state?: string } };
/** What a run reads of its object: whose it is and whether it is completed (a Task, a CollectionChunk). */
export type AssignedObject = { metadata?: Partial<Obj["metadata"]>; status?: { state?: string } };
/** Which kind a write is of. */
export type StatusKind = Pick<KindNames, "plural" | "singular">;

/** The task is no longer this run's: requeued, reassigned, completed by the operator, or deleted. */
export class NotAssignedHere extends Error {}
/** The agent is stopping: the write did not land; the record on disk keeps it for the next agent. */
export class ReportStopped extends Error {}

export type WriteOptions = {
  /** Retry failures other than conflicts until the write lands (Completed), or give up at the first (Running). */
  persistent: boolean;
  /** Ends the retries (the agent stops). */
  signal?: AbortSignal;
  /** False once the agent's cache shows the task left this node: no point in writing. */
  stillHere?: () => boolean;
  log?: (line: string) => void;
  /** For tests: the wait between attempts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
};

const firstBackoffMs = 200;
const maxBackoffMs = 10_000;

/** Writes the status of `run`'s object of kind `kind` (taskNames, collectionChunkNames); returns the new resourceVersion. */
export async function writeStatus(custom: CustomObjectsApi, kind: StatusKind, run: RunRef, resourceVersion: string, status: Record<string, unknown>, opts: WriteOptions): Promise<string> {
  const api = { group: GROUP, version: VERSION, plural: kind.plural, namespace: run.namespace, name: run.name, fieldManager };
  const sleep = opts.sleep ?? ((ms: number, signal?: AbortSignal) => wait(ms, undefined, { signal }));
  const what = `${kind.singular} ${run.namespace}/${run.name}`;
  let rv = resourceVersion;
  let body = status;
  let failures = 0;
  let conflicts = 0;
  for (;;) {
    if (opts.signal?.aborted) throw new ReportStopped(`${what}: the agent is stopping`);
    if (opts.stillHere && !opts.stillHere()) throw new NotAssignedHere(`${what} is no longer assigned to ${run.node}`);
    try {
      const res = (await custom.patchNamespacedCustomObjectStatus({ ...api, body: { metadata: { resourceVersion: rv }, status: body } }, mergePatch)) as Obj;
      if (failures > 0) opts.log?.(`${what}: status written after ${failures} failed attempt(s)`);
      return res.metadata.resourceVersion;
    } catch (err) {
      const code = httpStatus(err);
      if (code === 404) throw new NotAssignedHere(`${what} was deleted`);
      if (code === 409) {
        // Lost a race (the operator's condition write, or our own write that landed although
        // its answer was lost): look again. Several in a row slow down like any failure.
        rv = await currentVersion(custom, api, run, what, opts, sleep);
        if (++conflicts < 5) continue;
      } else if (code === 422 && body !== minimal(body)) {
        // Refused as invalid (an output tail the server will not take): the outcome without it.
        opts.log?.(`${what}: status refused (${errorMessage(err)}); writing it without the output tails`);
        body = minimal(body);
        continue;
      } else if (!opts.persistent) {
        throw err;
      }
      failures++;
      if (failures === 1 || failures % 10 === 0) opts.log?.(`${what}: status write failed (${errorMessage(err)}); retrying (attempt ${failures})`);
      await sleep(backoffMs(failures - 1), opts.signal).catch(() => undefined);
    }
  }
}

/** The wait after `n` failures in a row: 200 ms doubling to 10 s, with ±20 % jitter. */
function backoffMs(n: number): number {
  return Math.min(maxBackoffMs, firstBackoffMs * 2 ** Math.min(n, 10)) * (0.8 + 0.4 * Math.random());
}

/** The object's resourceVersion now, if it is still this run's. */
async function currentVersion(custom: CustomObjectsApi, api: Parameters<CustomObjectsApi["getNamespacedCustomObject"]>[0], run: RunRef, what: string, opts: WriteOptions, sleep: NonNullable<WriteOptions["sleep"]>): Promise<string> {
  for (let failures = 0; ; failures++) {
    if (opts.signal?.aborted) throw new ReportStopped(`${what}: the agent is stopping`);
    let current: Obj;
    try {
      current = (await custom.getNamespacedCustomObject(api)) as Obj;
    } catch (err) {
      if (httpStatus(err) === 404) throw new NotAssignedHere(`${what} was deleted`);
      if (!opts.persistent) throw err;
      await sleep(backoffMs(failures), opts.signal).catch(() => undefined);
      continue;
    }
    const problem = notThisRun(current, run);
    if (problem) throw new NotAssignedHere(`${what} ${problem}`);
    return current.metadata.resourceVersion;
  }
}

/** Why the object (task or chunk) as read is no longer the run's to report, or undefined when it is. */
export function notThisRun(current: AssignedObject, run: RunRef): string | undefined {
  const meta = current.metadata;
  if (meta?.uid !== undefined && meta.uid !== run.uid) return "was deleted and created again";
  if (meta?.labels?.[nodeLabel] !== run.node) return `is no longer assigned to ${run.node}`;
  if ((meta?.annotations?.[assignmentAnnotation] ?? "") !== run.assignment) return `was requeued and assigned to ${run.node} again`;
  // Completed meanwhile by the operator (job terminated), or by our own write whose answer was lost.
  if (current.status?.state === "Completed") return "is already completed";
  return undefined;
}

function minimal(body: Record<string, unknown>): Record<string, unknown> {
  if (body.stdoutTail == null && body.stderrTail == null) return body;
  return { ...body, stdoutTail: null, stderrTail: null };
}
