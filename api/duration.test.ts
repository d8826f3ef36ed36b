import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DurationError, DURATION_PATTERN, formatDuration, isUnlimited, parseDuration, UNLIMITED_DURATION, UNLIMITED_MS } from "./duration.ts";

describe("parseDuration", () => {
  const valid: Record<string, number> = {
    "0": 0,
    "90s": 90_000,
    "1h30m": 5_400_000,
    "1.5h": 5_400_000,
    "250ms": 250,
    "1m0.5s": 60_500,
    "2h45m30s": 9_930_000,
    "1500us": 1.5,
    "1500µs": 1.5,
    "2000000ns": 2,
    "36h": 129_600_000,
    PT15M: 900_000,
    PT1H30M: 5_400_000,
    PT0S: 0,
    "PT0.5S": 500,
    "PT1M30.25S": 90_250,
    P7D: 604_800_000,
    P1DT12H: 129_600_000,
    P2W: 1_209_600_000,
    PT36H: 129_600_000,
  };
  for (const [text, ms] of Object.entries(valid)) {
    it(`${text} → ${ms} ms`, () => {
      assert.equal(parseDuration(text), ms);
      assert.ok(DURATION_PATTERN.test(text), "the CRD pattern accepts it too");
    });
  }

  // Azure Batch's "unlimited" (TimeSpan.MaxValue) and anything longer mean no limit; shorter stays a limit.
  const limits: Record<string, { ms: number; unlimited: boolean }> = {
    [UNLIMITED_DURATION]: { ms: UNLIMITED_MS, unlimited: true },
    P10675199DT2H48M6S: { ms: UNLIMITED_MS, unlimited: true },
    P99999999999W: { ms: UNLIMITED_MS, unlimited: true },
    "999999999999h": { ms: UNLIMITED_MS, unlimited: true },
    P10675199D: { ms: 10675199 * 86_400_000, unlimited: false },
    P30D: { ms: 30 * 86_400_000, unlimited: false },
    P4W: { ms: 28 * 86_400_000, unlimited: false },
  };
  for (const [text, tc] of Object.entries(limits)) {
    it(`${text} is ${tc.unlimited ? "unlimited" : "a limit"}`, () => {
      const ms = parseDuration(text);
      assert.equal(ms, tc.ms);
      assert.equal(isUnlimited(ms), tc.unlimited);
      assert.ok(DURATION_PATTERN.test(text), "the CRD pattern accepts it too");
      assert.doesNotThrow(() => new Date(Date.now() + ms).toISOString(), "a deadline this far away is still a Date");
    });
  }

  const invalid: Record<string, RegExp> = {
    "": /expected a Go duration such as "90s"/,
    "5 minutes": /invalid duration "5 minutes": expected a Go duration such as "90s" or "1h30m", or an ISO 8601 duration such as "PT15M"/,
    "90": /invalid duration "90"/,
    "-5s": /cannot be negative/,
    "1d": /invalid duration "1d"/,
    "1H": /invalid duration "1H"/,
    P1M: /years and months have no fixed length/,
    P1Y2D: /years and months have no fixed length/,
    pt15m: /upper case/,
    P: /invalid duration "P"/,
    PT: /invalid duration "PT"/,
    P1DT: /invalid duration "P1DT"/,
    "PT1.5M": /invalid duration "PT1.5M"/,
    P1W2D: /invalid duration "P1W2D"/,
    "1h 30m": /invalid duration/,
    ".5s": /invalid duration/,
  };
  for (const [text, message] of Object.entries(invalid)) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseDuration(text), (e: unknown) => e instanceof DurationError && message.test(e.message));
      assert.ok(!DURATION_PATTERN.test(text), "the CRD pattern refuses it too");
    });
  }
});

describe("formatDuration", () => {
  const cases: Record<string, number> = { "0s": 0, "90ms": 90, "1m30s": 90_000, "1h30m": 5_400_000, "26h1s": 93_601_000 };
  for (const [text, ms] of Object.entries(cases)) {
    it(`${ms} ms → ${text}`, () => {
      const formatted = formatDuration(ms);
      assert.equal(formatted, text);
      assert.equal(parseDuration(formatted), ms);
    });
  }
  it("refuses negative durations", () => assert.throws(() => formatDuration(-1), DurationError));
});
