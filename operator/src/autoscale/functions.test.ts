import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluateFormula, type FormulaInputs } from "./evaluate.ts";
import { parseTime } from "./time-parse.ts";

const now = Date.parse("2024-05-01T09:30:15.250Z");
// $CPUPercent's last samples are 4, 8, 6, 2 (oldest first).
const samples = { $CPUPercent: [4, 8, 6, 2].map((value, i) => ({ timestamp: now - (3 - i) * 30_000, value })) };
const v = "$CPUPercent.GetSample(4)";

function valueOf(expr: string, inputs: FormulaInputs = {}): string {
  const r = evaluateFormula(`$v = ${expr};`, { now, samples, ...inputs });
  if (!r.ok) return `error: ${r.error.detail} @${r.error.column}`;
  return r.variables.find((x) => x.name === "$v")!.value;
}

test("functions", async (t) => {
  const cases: Record<string, { expr: string; want: string; inputs?: FormulaInputs }> = {
    "avg of doubles": { expr: "avg(1, 2, 6)", want: "3" },
    "avg of a vector": { expr: `avg(${v})`, want: "5" },
    "avg of a vector and a double (the list is flattened)": { expr: `avg(${v}, 10)`, want: "6" },
    "len": { expr: `len(${v}, 1, 2)`, want: "6" },
    "len of one double": { expr: "len(7)", want: "1" },
    "lg is base 2": { expr: "lg(8)", want: "3" },
    "ln is natural": { expr: "ln(1)", want: "0" },
    "log is base 10": { expr: "log(1000)", want: "3" },
    "lg of a vector maps": { expr: `lg(${v})`, want: "[2,3,2.584962500721156,1]" },
    "log of a list maps": { expr: "log(10, 100)", want: "[1,2]" },
    "ln of zero": { expr: "ln(0)", want: "-Infinity" },
    "max of doubles": { expr: "max(3, -1, 7)", want: "7" },
    "max of a vector": { expr: `max(${v})`, want: "8" },
    "max(0, vector)": { expr: `max(0, ${v} - 10)`, want: "0" },
    "min of a vector and a double": { expr: `min(${v}, 3)`, want: "2" },
    "min of negatives": { expr: "min(-1, -5)", want: "-5" },
    "norm is the Euclidean length": { expr: "norm(3, 4)", want: "5" },
    "norm of a vector": { expr: `norm(${v})`, want: "10.954451150103322" },
    "percentile 50 (nearest rank)": { expr: `percentile(${v}, 50)`, want: "4" },
    "percentile 75": { expr: `percentile(${v}, 75)`, want: "6" },
    "percentile 100 is the max": { expr: `percentile(${v}, 100)`, want: "8" },
    "percentile 0 is the min": { expr: `percentile(${v}, 0)`, want: "2" },
    "percentile of a double": { expr: "percentile(5, 90)", want: "5" },
    "percentile out of range": { expr: `percentile(${v}, 101)`, want: "error: percentile() needs a percentage between 0 and 100, got 101 @43" },
    "rand uses the given source": { expr: "rand()", want: "0.25", inputs: { random: () => 0.25 } },
    "rand is between 0 and 1": { expr: "rand() >= 0 && rand() < 1", want: "1" },
    "range is max - min": { expr: `range(${v})`, want: "6" },
    "range of doubles": { expr: "range(5, -5, 1)", want: "10" },
    "std is the sample standard deviation": { expr: "std(2, 4, 4, 4, 5, 5, 7, 9)", want: "2.138089935299395" },
    "std of one value is 0": { expr: "std(3)", want: "0" },
    "sum": { expr: `sum(${v}, 0.5)`, want: "20.5" },
    "sum of nothing sampled is 0": { expr: "sum($PendingTasks.GetSample(TimeInterval_Minute, 0))", want: "0" },
    "time() is now": { expr: "time()", want: "2024-05-01T09:30:15.250Z" },
    'time("") is now': { expr: 'time("")', want: "2024-05-01T09:30:15.250Z" },
    "time of a W3C-DTF string": { expr: 'time("2016-10-13T19:18:47.805Z")', want: "2016-10-13T19:18:47.805Z" },
    "time of an RFC 1123 string": { expr: 'time("Thu, 13 Oct 2016 19:18:47 GMT")', want: "2016-10-13T19:18:47.000Z" },
    "time of a bad string": { expr: 'time("next tuesday")', want: 'error: time() cannot read "next tuesday": use W3C-DTF (2024-05-01T08:00:00Z) or RFC 1123 (Wed, 01 May 2024 08:00:00 GMT) @11' },
    "time of a double": { expr: "time(5)", want: "error: time() takes a string, got double @11" },
    "val is 0-based": { expr: `val(${v}, 0)`, want: "4" },
    "val of the last element": { expr: `val(${v}, 3)`, want: "2" },
    "val out of range": { expr: `val(${v}, 4)`, want: "error: val() index 4 is outside the vector (4 elements, indexes from 0) @36" },
    "val with a fractional index": { expr: `val(${v}, 0.5)`, want: "error: val() index 0.5 is outside the vector (4 elements, indexes from 0) @36" },
    "avg of an empty list": { expr: "avg($PendingTasks.GetSample(TimeInterval_Minute, 0))", want: "error: avg() of an empty list (no samples?) @6" },
    "max of a string": { expr: 'max(1, "2")', want: "error: max() takes doubles and doubleVecs, argument 2 is a string @13" },
    "stop() in an argument stops": { expr: "max(1, stop())", want: "error: no $v" },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      if (tc.want === "error: no $v") {
        const r = evaluateFormula(`$v = ${tc.expr};`, { now });
        assert.ok(r.ok && r.stopped && !r.variables.some((x) => x.name === "$v"));
        return;
      }
      assert.equal(valueOf(tc.expr, tc.inputs), tc.want);
    });
  }
});

test("time strings: W3C-DTF and RFC 1123, UTC unless a zone is given", async (t) => {
  const cases: Record<string, { text: string; want: string | undefined }> = {
    "year": { text: "2024", want: "2024-01-01T00:00:00.000Z" },
    "year and month": { text: "2024-05", want: "2024-05-01T00:00:00.000Z" },
    "date": { text: "2024-05-01", want: "2024-05-01T00:00:00.000Z" },
    "minutes with Z": { text: "2024-05-01T08:15Z", want: "2024-05-01T08:15:00.000Z" },
    "seconds with an offset": { text: "2024-05-01T08:15:30+02:00", want: "2024-05-01T06:15:30.000Z" },
    "negative offset": { text: "2024-05-01T08:15:30-05:30", want: "2024-05-01T13:45:30.000Z" },
    "fraction of a second": { text: "2024-05-01T08:15:30.5Z", want: "2024-05-01T08:15:30.500Z" },
    "six fraction digits": { text: "2018-01-31T20:08:17.709824Z", want: "2018-01-31T20:08:17.709Z" },
    "seven fraction digits are refused, as Azure does": { text: "2018-01-31T20:08:17.7098248Z", want: undefined },
    "no zone is UTC": { text: "2024-05-01T08:15:30", want: "2024-05-01T08:15:30.000Z" },
    "surrounding spaces": { text: "  2024-05-01  ", want: "2024-05-01T00:00:00.000Z" },
    "RFC 1123": { text: "Wed, 01 May 2024 08:00:00 GMT", want: "2024-05-01T08:00:00.000Z" },
    "RFC 1123 without the day name": { text: "1 May 2024 08:00:00 UTC", want: "2024-05-01T08:00:00.000Z" },
    "RFC 1123 with an offset": { text: "Wed, 01 May 2024 08:00:00 +0100", want: "2024-05-01T07:00:00.000Z" },
    "month 13": { text: "2024-13-01", want: undefined },
    "30 February": { text: "2024-02-30", want: undefined },
    "29 February in a leap year": { text: "2024-02-29", want: "2024-02-29T00:00:00.000Z" },
    "hour 24": { text: "2024-05-01T24:00Z", want: undefined },
    "unknown month name": { text: "Wed, 01 Mai 2024 08:00:00 GMT", want: undefined },
    "free text": { text: "tomorrow", want: undefined },
    "empty": { text: "", want: undefined },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const ms = parseTime(tc.text);
      assert.equal(ms === undefined ? undefined : new Date(ms).toISOString(), tc.want);
    });
  }
});
