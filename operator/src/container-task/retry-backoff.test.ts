import assert from "node:assert/strict";
import { test } from "node:test";
import { retryBackoffMs, retryDue } from "./retry-backoff.ts";

test("retryBackoffMs: 10 s after the first failure, doubling per failed attempt, at most 6 min (the Job controller's)", async (t) => {
  const cases: Record<string, [retry: number, ms: number]> = {
    "the first attempt failed: 10 s": [0, 10_000],
    "the second: 20 s": [1, 20_000],
    "the third: 40 s": [2, 40_000],
    "the sixth: 320 s": [5, 320_000],
    "the seventh would be 640 s: capped at 6 min": [6, 360_000],
    "a thousand failures (maxTaskRetryCount -1): still 6 min": [1000, 360_000],
    "two thousand (2^n overflows to Infinity): still 6 min": [2000, 360_000],
  };
  for (const [name, [retry, ms]] of Object.entries(cases)) await t.test(name, () => assert.equal(retryBackoffMs(retry), ms));
});

test("retryDue: counted from the attempt's end, never more than the back-off", async (t) => {
  const end = Date.parse("2026-11-29T12:00:00Z");
  const cases: Record<string, [retry: number, nowMs: number, want: { dueMs: number; waitMs: number }]> = {
    "just ended: the whole back-off": [0, end, { dueMs: end + 10_000, waitMs: 10_000 }],
    "part of it gone (an operator restart does not reset it)": [0, end + 4_000, { dueMs: end + 10_000, waitMs: 6_000 }],
    "exactly due": [0, end + 10_000, { dueMs: end + 10_000, waitMs: 0 }],
    "long past (the operator was down)": [2, end + 3_600_000, { dueMs: end + 40_000, waitMs: 0 }],
    "the kubelet's clock ahead of ours: at most the back-off": [0, end - 60_000, { dueMs: end + 10_000, waitMs: 10_000 }],
  };
  for (const [name, [retry, nowMs, want]] of Object.entries(cases)) await t.test(name, () => assert.deepEqual(retryDue(retry, end, nowMs), want));
});
