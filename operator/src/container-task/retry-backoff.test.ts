import assert from "node:assert/strict";
import { test } from "node:test";
import { nextAttempt, retryBackoffMs, type AttemptEnd, type NextAttempt } from "./retry-backoff.ts";

test("retryBackoffMs doubles from 10 s and stops at 6 min, like the Job controller", async (t) => {
  const cases: Record<string, [retry: number, ms: number]> = {
    "after the first attempt": [0, 10_000],
    "after the second": [1, 20_000],
    "after the fifth": [4, 160_000],
    "capped at 6 min": [6, 360_000],
    "still capped after a thousand attempts": [1000, 360_000],
  };
  for (const [name, [retry, ms]] of Object.entries(cases)) await t.test(name, () => assert.equal(retryBackoffMs(retry), ms));
  await t.test("the base is configurable (tests)", () => assert.equal(retryBackoffMs(3, 100), 800));
});

test("nextAttempt: complete, wait out the back-off, or retry", async (t) => {
  const base: AttemptEnd = { retry: 0, retryable: true, maxRetries: 3, endedAt: 1_000_000, now: 1_000_000 };
  const cases: Record<string, [Partial<AttemptEnd>, NextAttempt]> = {
    "just failed: waits 10 s": [{}, { kind: "wait", afterMs: 10_000 }],
    "part of the back-off gone": [{ now: 1_004_000 }, { kind: "wait", afterMs: 6_000 }],
    "back-off over: the next attempt": [{ now: 1_010_000 }, { kind: "retry", retry: 1 }],
    "third failure waits 40 s": [{ retry: 2, now: 1_039_999 }, { kind: "wait", afterMs: 1 }],
    "retries used up: completes": [{ retry: 3, now: 9_000_000 }, { kind: "complete" }],
    "no retries: completes at once": [{ maxRetries: 0 }, { kind: "complete" }],
    "unlimited retries keep going, 6 min apart": [{ maxRetries: -1, retry: 500 }, { kind: "wait", afterMs: 360_000 }],
    "not retryable (image, resource files, deadline): completes": [{ retryable: false }, { kind: "complete" }],
    "wall clock used up: completes": [{ wallClockLeftMs: 0, now: 2_000_000 }, { kind: "complete" }],
    "wall clock left: retries": [{ wallClockLeftMs: 60_000, now: 1_010_000 }, { kind: "retry", retry: 1 }],
    "a configured base": [{ baseMs: 50, now: 1_000_050 }, { kind: "retry", retry: 1 }],
  };
  for (const [name, [over, want]] of Object.entries(cases)) await t.test(name, () => assert.deepEqual(nextAttempt({ ...base, ...over }), want));
});
