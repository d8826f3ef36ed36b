import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CustomObjectsApi } from "@kubernetes/client-node";
import { assignmentAnnotation, nodeLabel } from "../../../api/labels.ts";
import { collectionChunkNames } from "../../../api/collection-chunk.ts";
import { taskNames } from "../../../api/task.ts";
import { NotAssignedHere, ReportStopped, writeStatus, type RunRef } from "./status-writer.ts";

const run: RunRef = { namespace: "ns", name: "t1", uid: "u1", node: "node-a", assignment: "a1" };
const ours = (rv: string, extra: { uid?: string; node?: string; assignment?: string; state?: string } = {}) => ({
  metadata: { uid: extra.uid ?? "u1", resourceVersion: rv, labels: { [nodeLabel]: extra.node ?? "node-a" }, annotations: { [assignmentAnnotation]: extra.assignment ?? "a1" } },
  status: { state: extra.state ?? "Running" },
});
const apiError = (code: number) => Object.assign(new Error(`HTTP ${code}`), { code, body: JSON.stringify({ message: `status ${code}` }) });
const reset = () => Object.assign(new Error("fetch failed"), { cause: { code: "ECONNRESET" } });

type Answer = { ok: string } | { fail: Error };
type Case = {
  name: string;
  /** What each PATCH gets, in order. */
  patches: Answer[];
  /** What each GET (after a 409) gets, in order. */
  gets?: (ReturnType<typeof ours> | Error)[];
  persistent?: boolean;
  stillHere?: boolean[];
  abortAfterPatches?: number;
  /** The kind written (default Task). */
  chunk?: boolean;
  want: { rv?: string; error?: new (...a: never[]) => Error; patches: number; tailsDropped?: boolean };
};

const cases: Case[] = [
  { name: "written at once", patches: [{ ok: "11" }], want: { rv: "11", patches: 1 } },
  { name: "a chunk's status: the same write on its kind", chunk: true, patches: [{ ok: "11" }], want: { rv: "11", patches: 1 } },
  { name: "a chunk requeued meanwhile: not this run's", chunk: true, patches: [{ fail: apiError(409) }], gets: [ours("14", { assignment: "a2" })], want: { error: NotAssignedHere, patches: 1 } },
  { name: "503s and 429s are retried until the write lands", patches: [{ fail: apiError(503) }, { fail: apiError(429) }, { fail: apiError(500) }, { ok: "12" }], want: { rv: "12", patches: 4 } },
  { name: "a reset connection is retried", patches: [{ fail: reset() }, { ok: "13" }], want: { rv: "13", patches: 2 } },
  { name: "a conflict reads the task again and writes with its version", patches: [{ fail: apiError(409) }, { ok: "15" }], gets: [ours("14")], want: { rv: "15", patches: 2 } },
  { name: "requeued and assigned here again: not this run's", patches: [{ fail: apiError(409) }], gets: [ours("14", { assignment: "a2" })], want: { error: NotAssignedHere, patches: 1 } },
  { name: "assigned elsewhere", patches: [{ fail: apiError(409) }], gets: [ours("14", { node: "node-b" })], want: { error: NotAssignedHere, patches: 1 } },
  { name: "deleted and created again under the same name", patches: [{ fail: apiError(409) }], gets: [ours("14", { uid: "u2" })], want: { error: NotAssignedHere, patches: 1 } },
  { name: "completed meanwhile (the operator, or our own write whose answer was lost)", patches: [{ fail: apiError(409) }], gets: [ours("14", { state: "Completed" })], want: { error: NotAssignedHere, patches: 1 } },
  { name: "the read after a conflict fails, then succeeds", patches: [{ fail: apiError(409) }, { ok: "16" }], gets: [apiError(503), ours("15")], want: { rv: "16", patches: 2 } },
  { name: "deleted", patches: [{ fail: apiError(404) }], want: { error: NotAssignedHere, patches: 1 } },
  { name: "refused as invalid: written again without the output tails", patches: [{ fail: apiError(422) }, { ok: "17" }], want: { rv: "17", patches: 2, tailsDropped: true } },
  { name: "a Running report gives up at the first failure", persistent: false, patches: [{ fail: apiError(503) }], want: { error: Error, patches: 1 } },
  { name: "the cache shows the task left this node: no more attempts", patches: [{ fail: apiError(503) }, { fail: apiError(503) }], stillHere: [true, true, false], want: { error: NotAssignedHere, patches: 2 } },
  { name: "the agent stops while the API is down", patches: [{ fail: apiError(503) }, { fail: apiError(503) }], abortAfterPatches: 2, want: { error: ReportStopped, patches: 2 } },
];

describe("writeStatus", () => {
  for (const c of cases) {
    test(c.name, async () => {
      const patches = [...c.patches];
      const gets = [...(c.gets ?? [])];
      const bodies: { metadata: { resourceVersion: string }; status: Record<string, unknown> }[] = [];
      const plurals: string[] = [];
      const abort = new AbortController();
      const custom = {
        patchNamespacedCustomObjectStatus: async (req: { plural: string; body: (typeof bodies)[number] }) => {
          bodies.push(structuredClone(req.body));
          plurals.push(req.plural);
          if (c.abortAfterPatches !== undefined && bodies.length >= c.abortAfterPatches) abort.abort();
          const a = patches.shift();
          if (!a) throw new Error("unexpected PATCH");
          if ("fail" in a) throw a.fail;
          return { metadata: { resourceVersion: a.ok } };
        },
        getNamespacedCustomObject: async (req: { plural: string }) => {
          plurals.push(req.plural);
          const g = gets.shift();
          if (!g) throw new Error("unexpected GET");
          if (g instanceof Error) throw g;
          return g;
        },
      } as unknown as CustomObjectsApi;
      const here = [...(c.stillHere ?? [])];
      const slept: number[] = [];
      const kind = c.chunk ? collectionChunkNames : taskNames;
      const write = writeStatus(custom, kind, run, "10", { state: "Completed", stdoutTail: "out", stderrTail: "err" }, {
        persistent: c.persistent ?? true,
        signal: abort.signal,
        stillHere: () => here.shift() ?? true,
        sleep: async (ms) => void slept.push(ms),
      });
      if (c.want.error) await assert.rejects(write, c.want.error);
      else assert.equal(await write, c.want.rv);
      assert.equal(bodies.length, c.want.patches);
      assert.deepEqual(new Set(plurals), new Set([kind.plural]), "every call on the kind's resource");
      // Every write carries a resourceVersion: the one first seen, or the one read after a conflict.
      assert.equal(bodies[0]!.metadata.resourceVersion, "10");
      const last = bodies.at(-1)!;
      if (c.want.tailsDropped) assert.deepEqual([last.status.stdoutTail, last.status.stderrTail], [null, null]);
      else assert.equal(last.status.stdoutTail, "out");
      if (c.gets?.length && c.want.rv) assert.equal(last.metadata.resourceVersion, (c.gets.at(-1) as ReturnType<typeof ours>).metadata.resourceVersion);
      // The wait between attempts stays bounded (10 s, with jitter).
      for (let i = 1; i < slept.length; i++) assert.ok(slept[i]! <= 12_000);
    });
  }
});
