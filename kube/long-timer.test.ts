import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_TIMEOUT_MS, setLongTimeout } from "./long-timer.ts";

test("setLongTimeout fires once after any delay, chaining Node's 2^31-1 ms timers", async (t) => {
  const day = 86_400_000;
  const cases: Record<string, { delayMs: number; fires: boolean }> = {
    "1 s": { delayMs: 1_000, fires: true },
    "exactly the largest single timeout": { delayMs: MAX_TIMEOUT_MS, fires: true },
    "30 days (P30D)": { delayMs: 30 * day, fires: true },
    "4 weeks (P4W)": { delayMs: 28 * day, fires: true },
    "10 years": { delayMs: 3650 * day, fires: true },
    zero: { delayMs: 0, fires: true },
    negative: { delayMs: -5, fires: true },
    "Infinity never": { delayMs: Infinity, fires: false },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
      try {
        let fired = 0;
        setLongTimeout(() => fired++, tc.delayMs, { unref: true });
        const at = Math.max(0, tc.delayMs);
        if (at > 0) {
          t.mock.timers.tick(at - 1);
          assert.equal(fired, 0, "not before its delay (Node alone would fire a >2^31-1 ms timeout after 1 ms)");
        }
        t.mock.timers.tick(tc.fires ? 1 : 100 * 365 * day);
        assert.equal(fired, tc.fires ? 1 : 0);
        t.mock.timers.tick(MAX_TIMEOUT_MS);
        assert.equal(fired, tc.fires ? 1 : 0, "once");
      } finally {
        t.mock.timers.reset();
      }
    });
  }
});

test("a cancelled long timer never fires, also between its chained timeouts", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
  let fired = false;
  const timer = setLongTimeout(() => (fired = true), 3 * MAX_TIMEOUT_MS);
  t.mock.timers.tick(MAX_TIMEOUT_MS + 10);
  timer.cancel();
  t.mock.timers.tick(3 * MAX_TIMEOUT_MS);
  assert.equal(fired, false);
  t.mock.timers.reset();
});
