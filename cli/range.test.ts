import assert from "node:assert/strict";
import { test } from "node:test";
import { parseRange } from "./range.ts";

const good: Record<string, [string, { from: number; to: number }]> = {
  "a range": ["1..500", { from: 1, to: 500 }],
  "one number": ["7..7", { from: 7, to: 7 }],
  "negatives and spaces": [" -3 .. 2 ", { from: -3, to: 2 }],
};
for (const [name, [text, want]] of Object.entries(good)) test(`parses ${name}`, () => assert.deepEqual(parseRange(text), want));

const bad: Record<string, [string, RegExp]> = {
  "a dash range": ["1-500", /--range: "1-500" is not a range of integers A\.\.B/],
  decimals: ["1.5..3", /not a range of integers/],
  "a descending range": ["5..1", /is empty/],
  "a huge range": ["1..10000000", /has 10000000 numbers; at most 1000000 per command \(--collection makes one object of up to 10,000,000\)/],
};
for (const [name, [text, message]] of Object.entries(bad)) test(`refuses ${name}`, () => assert.throws(() => parseRange(text), message));

test("a collection's limit", () => {
  assert.deepEqual(parseRange("0..9999999", 10_000_000, "in a collection"), { from: 0, to: 9_999_999 });
  assert.throws(() => parseRange("0..10000000", 10_000_000, "in a collection"), /has 10000001 numbers; at most 10000000 in a collection/);
});
