// A node task that always fails, with unlimited retries, backs off between its attempts (real
// processes, real waits): a few attempts in seconds rather than dozens a second, a long wait
// announced for the status, and an abort that ends the wait at once with no attempt after it.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as wait } from "node:timers/promises";
import { job } from "./job-fixtures.ts";
import { reportedRetryWaitMs, retryDelayMs } from "./retry-delay.ts";
import { executeTask, type ExecutionContext } from "./task-execution.ts";
import { runProcess } from "../process/run-process.ts";

const root = mkdtempSync(join(tmpdir(), "kubatch-backoff-"));
after(() => rmSync(root, { recursive: true, force: true }));

test("maxTaskRetryCount -1 and `exit 1`: retries back off, the long wait is announced, an abort ends it", { timeout: 15_000 }, async () => {
  const counter = join(root, "starts");
  const processes = () => (existsSync(counter) ? readFileSync(counter, "utf8").split("\n").filter(Boolean).length : 0);
  const attempts: { retryCount: number; at: number }[] = [];
  const announced: { retryCount: number; lastRetryTime?: Date; waitMs: number }[] = [];
  const abort = new AbortController();
  let waiting: () => void = () => undefined;
  const longWait = new Promise<void>((resolve) => (waiting = resolve));
  const ctx: ExecutionContext = {
    node: { rootDir: join(root, "node"), poolId: "p", nodeId: "n1", isDedicated: true },
    launch: (o) => runProcess({ ...o, env: { PATH: process.env.PATH, ...o.env } }),
    secret: async () => undefined,
    signal: abort.signal,
    onAttempt: async (retryCount, at) => void attempts.push({ retryCount, at: at.getTime() }),
    onRetryWait: (retryCount, lastRetryTime, waitMs) => {
      announced.push({ retryCount, lastRetryTime, waitMs });
      waiting();
    },
  };
  const t0 = Date.now();
  const done = executeTask({ jobName: "j", id: "t", commandLine: `/bin/sh -c "echo x >> ${counter}; exit 1"`, constraints: { maxTaskRetryCount: -1 } }, job(), ctx);

  // Retries 1–4 wait 0 + 1 + 2 + 4 s: the wait before retry 5 (8 s) is the first announced, ~7 s in.
  await Promise.race([longWait, wait(10_000)]);
  const elapsed = Date.now() - t0;
  assert.deepEqual(attempts.map((a) => a.retryCount), [0, 1, 2, 3, 4], `attempts in ${elapsed} ms`);
  assert.equal(processes(), 5, "processes started");
  for (let n = 1; n < attempts.length; n++) {
    const gap = attempts[n]!.at - attempts[n - 1]!.at;
    assert.ok(gap >= retryDelayMs(n), `retry ${n} ${gap} ms after the attempt before it, at least ${retryDelayMs(n)} ms`);
  }
  assert.ok(elapsed >= 7_000 && elapsed < 9_000, `the first long wait began after ${elapsed} ms`);
  assert.equal(announced.length, 1);
  const [w] = announced;
  assert.deepEqual({ retryCount: w!.retryCount, waitMs: w!.waitMs }, { retryCount: 4, waitMs: retryDelayMs(5) });
  assert.ok(w!.waitMs >= reportedRetryWaitMs);
  assert.equal(w!.lastRetryTime?.getTime(), attempts[4]!.at, "lastRetryTime: when retry 4 started");

  // Stopped in the middle of the 8 s wait: it ends at once and starts nothing more.
  const abortedAt = Date.now();
  abort.abort();
  const out = await done;
  assert.ok(Date.now() - abortedAt < 1_000, `executeTask returned ${Date.now() - abortedAt} ms after the abort`);
  assert.equal(out.retryCount, 4, "the outcome is the last attempt's");
  await wait(500);
  assert.equal(processes(), 5, "no process after the abort");
  assert.equal(attempts.length, 5, "no attempt after the abort");
});
