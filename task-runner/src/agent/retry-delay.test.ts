import assert from "node:assert/strict";
import { test } from "node:test";
import { reportedRetryWaitMs, retryDelayMs } from "./retry-delay.ts";

test("retryDelayMs: the first retry at once (Azure Batch), then 1 s doubling to 60 s", async (t) => {
  const cases: Record<string, [retry: number, ms: number, reported: boolean]> = {
    "the first attempt is no retry": [0, 0, false],
    "the first retry: at once": [1, 0, false],
    "the second: 1 s": [2, 1_000, false],
    "the third: 2 s": [3, 2_000, false],
    "the fourth: 4 s, not yet shown in status": [4, 4_000, false],
    "the fifth: 8 s, shown in status": [5, 8_000, true],
    "the seventh: 32 s": [7, 32_000, true],
    "the eighth would be 64 s: capped at 60 s": [8, 60_000, true],
    "a thousand retries (maxTaskRetryCount -1): still 60 s": [1000, 60_000, true],
  };
  for (const [name, [retry, ms, reported]] of Object.entries(cases)) {
    await t.test(name, () => assert.deepEqual([retryDelayMs(retry), retryDelayMs(retry) >= reportedRetryWaitMs], [ms, reported]));
  }
});
