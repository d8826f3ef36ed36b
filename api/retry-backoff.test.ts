import assert from "node:assert/strict";
import { test } from "node:test";
import { backoffMs, type Backoff } from "./retry-backoff.ts";

test("backoffMs: the base, doubling per failure, at most the cap", async (t) => {
  const b: Backoff = { baseMs: 1_000, maxMs: 60_000 };
  const cases: Record<string, [n: number, ms: number]> = {
    "the first wait: the base": [0, 1_000],
    "the second: twice": [1, 2_000],
    "the sixth: 32 times": [5, 32_000],
    "the seventh would be 64 s: capped": [6, 60_000],
    "a negative count is the first": [-1, 1_000],
    "2^n overflowing to Infinity: still the cap": [2000, 60_000],
  };
  for (const [name, [n, ms]] of Object.entries(cases)) await t.test(name, () => assert.equal(backoffMs(b, n), ms));
});
