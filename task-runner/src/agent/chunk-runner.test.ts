// A chunk run over a real temp folder with real /bin/sh items (no cluster: the status writer,
// the collection read and the job preparation gate are injected): every item recorded once,
// counts and failures in the batched writes, succeeded items' folders removed, and an agent
// restart that goes on where the record ends without running a finished item again.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { CollectionChunkSpec, CollectionChunkStatus } from "../../../api/collection-chunk.ts";
import { nodeLayout } from "../../../api/node-layout.ts";
import { parseTaskCollection, type ResolvedCollectionSpec } from "../../../api/task-collection.ts";
import { collectionUnavailable, type CollectionLookup } from "./chunk-collection.ts";
import { chunkRecordFileName, readChunkRecord } from "./chunk-record.ts";
import { runChunk, type ChunkRunDeps } from "./chunk-runner.ts";
import { job } from "./job-fixtures.ts";
import { NotAssignedHere, ReportStopped, type RunRef } from "./status-writer.ts";
import { runProcess, type Launcher } from "../process/run-process.ts";

const root = mkdtempSync(join(tmpdir(), "kubatch-chunk-run-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** A range collection of `items` items whose item i appends i to `log` and exits 1 (after a line on stderr) when i is in `failing`. */
function collection(items: number, log: string, failing: number[], maxTaskRetryCount = 0): ResolvedCollectionSpec {
  const fails = failing.map((i) => `[ {item} = ${i} ]`).join(" || ") || "false";
  const r = parseTaskCollection({
    apiVersion: "kubatch.dev/v1alpha1",
    kind: "TaskCollection",
    metadata: { name: "c", namespace: "ns", uid: "tc1" },
    spec: {
      jobName: "j",
      source: { range: { start: 0, end: items - 1 } },
      task: { commandLine: `/bin/sh -c "echo {item} >> ${log}; if ${fails}; then echo bad {item} >&2; exit 1; fi"`, constraints: { maxTaskRetryCount } },
    },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value.spec;
}

type Write = { status: Record<string, unknown>; persistent: boolean };

function deps(name: string, spec: CollectionChunkSpec, lookup: CollectionLookup, extra: Partial<ChunkRunDeps> & { launch?: Launcher } = {}) {
  const writes: Write[] = [];
  const node = { rootDir: join(root, name, "node"), poolId: "p", nodeId: "node-a", isDedicated: true };
  const ref: RunRef = { namespace: "ns", name, uid: `uid-${name}`, node: "node-a", assignment: "a1" };
  let rv = 100;
  const d: ChunkRunDeps = {
    ref,
    spec,
    status: undefined,
    recordDir: join(root, name, "state"),
    node,
    collection: async () => lookup,
    prepare: async () => ({ job: job(), ready: { ok: true } }),
    context: { node, launch: extra.launch ?? ((o) => runProcess({ ...o, env: { PATH: process.env.PATH, ...o.env } })), secret: async () => undefined },
    write: async (status, persistent) => {
      writes.push({ status: structuredClone(status), persistent });
      return String(++rv);
    },
    signal: new AbortController().signal,
    stopping: () => false,
    log: () => undefined,
    ...extra,
  };
  return { d, writes, node };
}

const ran = (log: string) => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean).map(Number) : []);
const spec30: CollectionChunkSpec = { collectionName: "c", jobName: "j", start: 0, count: 30, requiredSlots: 1 };

describe("runChunk", () => {
  test("30 items, items 3 and 17 exit 1: each runs once, 28 succeed, 2 are listed with exit code and stderr", { timeout: 30_000 }, async () => {
    const log = join(root, "all.log");
    const { d, writes, node } = deps("all", spec30, { ok: true, spec: collection(30, log, [3, 17]) });
    const t0 = Date.now();
    const rv = await runChunk(d);
    const elapsed = Date.now() - t0;
    assert.deepEqual(ran(log), Array.from({ length: 30 }, (_, i) => i), "every item once, in order");
    assert.equal(rv, String(100 + writes.length), "the Completed write's resourceVersion");
    const last = writes.at(-1)!;
    assert.equal(last.persistent, true);
    assert.deepEqual({ ...last.status, failures: undefined, startTime: typeof last.status.startTime, endTime: typeof last.status.endTime }, {
      state: "Completed", nodeInfo: { poolId: "p", nodeId: "node-a" }, done: 30, succeeded: 28, failed: 2, failuresNotListed: 0, failures: undefined, startTime: "string", endTime: "string",
    });
    const failures = last.status.failures as { index: number; id: string; exitCode: number; stderrTail: string; failureInfo: { code: string } }[];
    assert.deepEqual(failures.map((f) => [f.index, f.id, f.exitCode, f.stderrTail, f.failureInfo.code]), [[3, "c-3", 1, "bad 3\n", "FailureExitCode"], [17, "c-17", 1, "bad 17\n", "FailureExitCode"]]);
    // Batched: a Running write at the start, at most one per 2 s, the Completed one.
    assert.equal(writes[0]!.status.state, "Running");
    assert.ok(writes.slice(0, -1).every((w) => !w.persistent && w.status.state === "Running"));
    assert.ok(writes.length <= 2 + Math.ceil(elapsed / 2_000), `${writes.length} writes in ${elapsed} ms`);
    // Succeeded items' folders are gone, failed ones' kept with their output.
    const layout = nodeLayout(node.rootDir);
    assert.equal(existsSync(layout.taskDir("j", "c-0")), false);
    assert.equal(readFileSync(join(layout.taskDir("j", "c-17"), "stderr.txt"), "utf8"), "bad 17\n");
    assert.equal(existsSync(join(d.recordDir, chunkRecordFileName)), false, "the record goes once Completed is written");
  });

  test("an agent restart after item 10: the next agent reports 0..10 and goes on at 11, running none of 0..10 again", { timeout: 30_000 }, async () => {
    const log = join(root, "restart.log");
    // One retry: item 11's attempt cut short by the first agent's end counts, the next agent makes retry 1.
    const lookup: CollectionLookup = { ok: true, spec: collection(30, log, [3, 17], 1) };
    const stop = new AbortController();
    const runner = (o: Parameters<Launcher>[0]) => runProcess({ ...o, env: { PATH: process.env.PATH, ...o.env } });
    // The first agent stops as item 11 starts (the stop signal; the record stays).
    const first = deps("restart", spec30, lookup, {
      signal: stop.signal,
      stopping: () => stop.signal.aborted,
      launch: async (o) => {
        if (!o.commandLine.includes("echo 11 ")) return runner(o);
        stop.abort();
        return { exitCode: 143, startTime: new Date(), endTime: new Date(), failure: { code: "Interrupted", message: "stopped with the agent" } };
      },
    });
    assert.equal(await runChunk(first.d), undefined, "stopped: nothing Completed");
    const record = await readChunkRecord(first.d.recordDir, first.d.ref.uid, "a1");
    assert.deepEqual(record?.results.map((r) => r.index), Array.from({ length: 11 }, (_, i) => i), "items 0..10 on disk");
    assert.deepEqual(record?.starts.map((s) => s.start), [11], "item 11's attempt started");
    const before = ran(log).filter((i) => i <= 10);

    // The next agent of the node pod: the chunk's status as the API holds it says little (a write may not have landed).
    const second = deps("restart", spec30, lookup, { status: { state: "Running", done: 2, succeeded: 2 } as CollectionChunkStatus });
    await runChunk(second.d);
    assert.deepEqual(ran(log).filter((i) => i <= 10), before, "none of 0..10 ran again");
    assert.deepEqual(ran(log).filter((i) => i > 10), [11, 12, 13, 14, 15, 16, 17, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], "11..29 once each (17 fails, and is retried once)");
    assert.deepEqual(second.writes[0]!.status.done, 11, "the first write reports what the earlier agent finished");
    const last = second.writes.at(-1)!.status as { done: number; succeeded: number; failed: number };
    assert.deepEqual([last.done, last.succeeded, last.failed], [30, 28, 2], "counted from the record, not the stale status");
    const failures = second.writes.findLast((w) => w.status.failures)!.status.failures as { index: number; retryCount: number }[];
    assert.deepEqual(failures.map((f) => [f.index, f.retryCount]), [[3, 1], [17, 1]]);
  });

  test("the Completed write does not land before the agent stops: the record keeps every result, the next agent only reports", { timeout: 30_000 }, async () => {
    const log = join(root, "unreported.log");
    const lookup: CollectionLookup = { ok: true, spec: collection(30, log, [3, 17]) };
    const first = deps("unreported", spec30, lookup, { stopping: () => true });
    first.d.write = async (_s, persistent) => {
      if (persistent) throw new ReportStopped("the agent is stopping");
      return "1";
    };
    assert.equal(await runChunk(first.d), undefined);
    const record = await readChunkRecord(first.d.recordDir, first.d.ref.uid, "a1");
    assert.equal(record?.results.length, 30);
    assert.deepEqual(record?.results.filter((r) => r.result === "Failure").map((r) => [r.index, r.exitCode, r.stderrTail]), [[3, 1, "bad 3\n"], [17, 1, "bad 17\n"]]);
    const second = deps("unreported", spec30, lookup);
    await runChunk(second.d);
    assert.equal(ran(log).length, 30, "nothing ran again");
    assert.deepEqual(second.writes.map((w) => [w.status.state, w.status.done, w.status.failed, w.persistent]), [["Completed", 30, 2, true]], "one write: the result");
  });

  test("after a requeue (a new assignment): goes on from status.done, keeps the earlier node's counts", async () => {
    const log = join(root, "requeue.log");
    const { d, writes } = deps("requeue", { ...spec30, start: 10, count: 5 }, { ok: true, spec: collection(30, log, []) }, {
      status: { state: "Active", done: 3, succeeded: 2, failed: 1, failures: [{ index: 11, id: "c-11", failureInfo: { category: "UserError", code: "FailureExitCode" }, stderrTail: "", retryCount: 0, nodeId: "node-b" }], requeueCount: 1 },
    });
    await runChunk(d);
    assert.deepEqual(ran(log), [13, 14]);
    const last = writes.at(-1)!.status as { done: number; succeeded: number; failed: number };
    assert.deepEqual([last.done, last.succeeded, last.failed], [5, 4, 1]);
    // Listed by the first write; later ones leave the unchanged list as it is (a merge patch).
    assert.deepEqual((writes[0]!.status.failures as { nodeId: string }[]).map((f) => f.nodeId), ["node-b"]);
  });

  test("the collection is unavailable: every item fails with why, nothing runs", async () => {
    const failureInfo = { category: "UserError" as const, code: collectionUnavailable, message: "TaskCollection c was not found" };
    const { d, writes } = deps("gone", { ...spec30, count: 12 }, { ok: false, failureInfo });
    await runChunk(d);
    const last = writes.at(-1)!.status as { state: string; failed: number; failures: { id: string; failureInfo: object }[] };
    assert.deepEqual([last.state, last.failed, last.failures.length, last.failures[0]!.id, last.failures[0]!.failureInfo], ["Completed", 12, 12, "c-0", failureInfo]);
  });

  test("the job's preparation failed on this node: no item runs; the chunk goes back Active, naming the node, its earlier items kept", async () => {
    const log = join(root, "refused.log");
    const lookup: CollectionLookup = { ok: true, spec: collection(30, log, []) };
    const failureInfo = { category: "UserError" as const, code: "JobPreparationTaskFailed", message: "the job preparation task exited with code 5 on node node-a" };
    const status: CollectionChunkStatus = { state: "Active", done: 4, succeeded: 4, failed: 0, requeueCount: 1, preparationFailedNodes: ["node-z"] };
    const { d, writes } = deps("refused", spec30, lookup, { status, prepare: async () => ({ job: job(), ready: { ok: false, failureInfo } }) });
    assert.equal(await runChunk(d), String(100 + writes.length), "the give-back's resourceVersion (events before it are stale)");
    assert.deepEqual(ran(log), [], "no item ran");
    const last = writes.at(-1)!;
    assert.equal(last.persistent, true);
    const s = last.status as { state: string; nodeInfo: unknown; done: number; succeeded: number; preparationFailedNodes: string[] };
    assert.deepEqual([s.state, s.nodeInfo, s.done, s.succeeded, s.preparationFailedNodes], ["Active", null, 4, 4, ["node-z", "node-a"]]);
    assert.equal(await readChunkRecord(d.recordDir, d.ref.uid, d.ref.assignment), undefined, "its record is gone");
  });

  test("a write says the chunk is no longer here: the running item is stopped, nothing more runs, the record goes", { timeout: 30_000 }, async () => {
    const log = join(root, "taken.log");
    const lookup: CollectionLookup = { ok: true, spec: collection(30, log, []) };
    let n = 0;
    const { d } = deps("taken", spec30, lookup, {
      intervalMs: 10,
      // The first write lands; the next finds the chunk requeued.
      write: async () => {
        if (n++ > 0) throw new NotAssignedHere("chunk ns/taken was requeued");
        return "1";
      },
    });
    const t0 = Date.now();
    assert.equal(await runChunk(d), undefined);
    assert.ok(ran(log).length < 30, `${ran(log).length} items ran`);
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(existsSync(join(d.recordDir, chunkRecordFileName)), false);
  });
});
