// The report loop against a real record file; the pod write is the function it is given (the
// e2e test in pool.test.ts checks the real one against the API server and its policy).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ApiException } from "@kubernetes/client-node";
import { startTaskInfoPath, writeStartTaskInfo } from "../start-task/start-task-info.ts";
import { reportStartTask } from "./start-task-report.ts";

const root = mkdtempSync(join(tmpdir(), "kubatch-start-report-"));
after(() => rmSync(root, { recursive: true, force: true }));

test("each change of the record is written once onto the pod, until it says Completed", async () => {
  const path = startTaskInfoPath(root);
  const written: string[] = [];
  let failNext = true;
  const done = reportStartTask({
    path,
    annotate: async (a) => {
      if (failNext) {
        failNext = false;
        throw new Error("connection reset");
      }
      written.push(a["kubatch.dev/start-task-info"]!);
    },
    log: () => undefined,
    signal: new AbortController().signal,
    pollMs: 10,
  });
  await writeStartTaskInfo(path, { state: "Running", retryCount: 0 });
  await new Promise((r) => setTimeout(r, 100));
  await writeStartTaskInfo(path, { state: "Completed", retryCount: 0, exitCode: 0, result: "Success" });
  await done;
  assert.deepEqual(written.map((w) => JSON.parse(w).state), ["Running", "Completed"], "the failed write was tried again, no change written twice");
});

test("a pod write refused (403) is logged once and given up; a stop ends the loop", async () => {
  const path = startTaskInfoPath(join(root, "x"));
  const logs: string[] = [];
  mkdirSync(join(root, "x"), { recursive: true });
  await writeStartTaskInfo(path, { state: "Running", retryCount: 0 });
  await reportStartTask({ path, annotate: async () => Promise.reject(new ApiException(403, "forbidden", {}, {})), log: (l) => void logs.push(l), signal: new AbortController().signal, pollMs: 10 });
  assert.equal(logs.length, 1);
  assert.match(logs[0]!, /403: the kubatch-node ServiceAccount may patch its pod only where the operator's nodePodAnnotationPolicy is on/);
  const stop = new AbortController();
  const loop = reportStartTask({ path: join(root, "none.json"), annotate: async () => undefined, log: () => undefined, signal: stop.signal, pollMs: 10 });
  stop.abort();
  await loop;
});
