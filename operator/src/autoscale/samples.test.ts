import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluateFormula, type FormulaInputs } from "./evaluate.ts";
import type { Sample } from "./samples.ts";

const now = Date.parse("2024-05-01T12:00:00.000Z");
const minute = 60_000;

/** One sample per period ending `lagMs` before now, values oldest first. */
function series(values: number[], periodMs = 30_000, lagMs = 0): Sample[] {
  return values.map((value, i) => ({ timestamp: now - lagMs - (values.length - 1 - i) * periodMs, value }));
}
const ramp = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

function valueOf(expr: string, inputs: FormulaInputs): string {
  const r = evaluateFormula(`$v = ${expr};`, { now, ...inputs });
  if (!r.ok) return `${r.error.code}: ${r.error.values[0]!.value}`;
  return r.variables.find((x) => x.name === "$v")!.value;
}

test("sample methods", async (t) => {
  const full = { samples: { $ActiveTasks: series(ramp(60)) } }; // 30 minutes of samples, 1 … 60
  const cases: Record<string, { expr: string; inputs: FormulaInputs; want: string }> = {
    "GetSample(count) is the last N, oldest first": { expr: "$ActiveTasks.GetSample(3)", inputs: full, want: "[58,59,60]" },
    "GetSample(1) is the last sample however old": { expr: "$ActiveTasks.GetSample(1)", inputs: { samples: { $ActiveTasks: [{ timestamp: now - 6 * 3_600_000, value: 4 }] } }, want: "[4]" },
    "GetSample(count) short of samples gives what there is": { expr: "$ActiveTasks.GetSample(4)", inputs: { samples: { $ActiveTasks: series([1, 2]) } }, want: "[1,2]" },
    "GetSample(1) with no samples": { expr: "$RunningTasks.GetSample(1)", inputs: {}, want: "InsufficientSampleData: Line 1, Col 29: Insufficient data from data set: $RunningTasks wanted 100%, received 0%" },
    "zero values are samples": { expr: "$ActiveTasks.GetSample(2)", inputs: { samples: { $ActiveTasks: series([0, 0]) } }, want: "[0,0]" },
    "GetSample(interval): the window's samples": { expr: "$ActiveTasks.GetSample(TimeInterval_Minute * 2)", inputs: full, want: "[57,58,59,60]" },
    "GetSample(interval) at exactly 70%": { expr: "len($ActiveTasks.GetSample(TimeInterval_Minute * 5))", inputs: { samples: { $ActiveTasks: series(ramp(7)) } }, want: "7" },
    "GetSample(interval) below the 70% default": { expr: "$ActiveTasks.GetSample(TimeInterval_Minute * 5)", inputs: { samples: { $ActiveTasks: series(ramp(5)) } }, want: "InsufficientSampleData: Line 1, Col 28: Insufficient data from data set: $ActiveTasks wanted 70%, received 50%" },
    "GetSample(interval, pct) lowers the bar": { expr: "$ActiveTasks.GetSample(TimeInterval_Minute * 5, 50)", inputs: { samples: { $ActiveTasks: series(ramp(5)) } }, want: "[1,2,3,4,5]" },
    "GetSample(interval, pct) raises the bar": { expr: "$ActiveTasks.GetSample(TimeInterval_Minute * 5, 90)", inputs: { samples: { $ActiveTasks: series(ramp(8)) } }, want: "InsufficientSampleData: Line 1, Col 28: Insufficient data from data set: $ActiveTasks wanted 90%, received 80%" },
    "GetSample(interval, 0) accepts an empty window": { expr: "$ActiveTasks.GetSample(TimeInterval_Minute, 0)", inputs: {}, want: "[]" },
    "received % is rounded down": { expr: "$ActiveTasks.GetSample(TimeInterval_Minute * 15)", inputs: { samples: { $ActiveTasks: series(ramp(20)) } }, want: "InsufficientSampleData: Line 1, Col 28: Insufficient data from data set: $ActiveTasks wanted 70%, received 66%" },
    "late samples count against the window": { expr: "$ActiveTasks.GetSample(TimeInterval_Minute * 2, 100)", inputs: { samples: { $ActiveTasks: series(ramp(10), 30_000, minute) } }, want: "InsufficientSampleData: Line 1, Col 28: Insufficient data from data set: $ActiveTasks wanted 100%, received 50%" },
    "GetSample(start, end) with intervals ago": { expr: "$ActiveTasks.GetSample(TimeInterval_Minute * 3, TimeInterval_Minute * 1)", inputs: full, want: "[55,56,57,58]" },
    "GetSample(start, end) in either order": { expr: "$ActiveTasks.GetSample(TimeInterval_Minute * 1, TimeInterval_Minute * 3)", inputs: full, want: "[55,56,57,58]" },
    "GetSample(start, end) with timestamps": { expr: "$ActiveTasks.GetSample(time() - TimeInterval_Minute, time())", inputs: full, want: "[59,60]" },
    "GetSample(start, end, pct)": { expr: "$ActiveTasks.GetSample(TimeInterval_Minute * 10, TimeInterval_Zero, 100)", inputs: { samples: { $ActiveTasks: series(ramp(19)) } }, want: "InsufficientSampleData: Line 1, Col 28: Insufficient data from data set: $ActiveTasks wanted 100%, received 95%" },
    "GetSample with a fractional percentage": { expr: "$ActiveTasks.GetSample(TimeInterval_Minute, 99.5)", inputs: { samples: { $ActiveTasks: series([1]) } }, want: "InsufficientSampleData: Line 1, Col 28: Insufficient data from data set: $ActiveTasks wanted 99.5%, received 50%" },
    "GetSamplePercent(interval)": { expr: "$ActiveTasks.GetSamplePercent(TimeInterval_Minute * 15)", inputs: { samples: { $ActiveTasks: series(ramp(15)) } }, want: "50" },
    "GetSamplePercent is at most 100": { expr: "$ActiveTasks.GetSamplePercent(TimeInterval_Minute * 15)", inputs: full, want: "100" },
    "GetSamplePercent with no samples": { expr: "$ActiveTasks.GetSamplePercent(TimeInterval_Minute * 15)", inputs: {}, want: "0" },
    "GetSamplePercent(start, end)": { expr: "$ActiveTasks.GetSamplePercent(TimeInterval_Minute * 20, TimeInterval_Minute * 10)", inputs: { samples: { $ActiveTasks: series(ramp(31)) } }, want: "55" },
    "GetSamplePeriod()": { expr: "$ActiveTasks.GetSamplePeriod()", inputs: {}, want: "00:00:30" },
    "GetSamplePeriod() follows the input": { expr: "$ActiveTasks.GetSamplePeriod()", inputs: { samplePeriodSeconds: 5 }, want: "00:00:05" },
    "percentages are measured against the period": { expr: "$ActiveTasks.GetSamplePercent(TimeInterval_Minute)", inputs: { samplePeriodSeconds: 10, samples: { $ActiveTasks: series(ramp(2)) } }, want: "33.333333333333336" },
    "a shorter period fills a window with fewer minutes": { expr: "len($ActiveTasks.GetSample(TimeInterval_Minute))", inputs: { samplePeriodSeconds: 5, samples: { $ActiveTasks: series(ramp(12), 5_000) } }, want: "12" },
    "Count()": { expr: "$ActiveTasks.Count()", inputs: full, want: "60" },
    "Count() with no samples": { expr: "$CPUPercent.Count()", inputs: {}, want: "0" },
    "samples after now are ignored": { expr: "$ActiveTasks.Count()", inputs: { samples: { $ActiveTasks: [{ timestamp: now + 1000, value: 1 }, { timestamp: now, value: 2 }] } }, want: "1" },
    "HistoryBeginTime()": { expr: "$ActiveTasks.HistoryBeginTime()", inputs: full, want: "2024-05-01T11:30:30.000Z" },
    "HistoryBeginTime() with no samples": { expr: "$ActiveTasks.HistoryBeginTime()", inputs: {}, want: "AutoScalingFormulaEvaluationError: Line 1, Col 19: $ActiveTasks has no samples yet, so it has no history begin time" },
    "samples keyed without '$', with Date and string times, unordered": {
      expr: "$MemoryBytes.GetSample(3)",
      inputs: { samples: { MemoryBytes: [{ timestamp: new Date(now - 1000), value: 3 }, { timestamp: new Date(now - 61_000).toISOString(), value: 1 }, { timestamp: now - 31_000, value: 2 }] } },
      want: "[1,2,3]",
    },
    "GetSample(0)": { expr: "$ActiveTasks.GetSample(0)", inputs: full, want: "AutoScalingFormulaEvaluationError: Line 1, Col 29: GetSample() takes a whole number of samples (at least 1), a timestamp or a time interval, got 0" },
    "GetSample of a string": { expr: '$ActiveTasks.GetSample("5")', inputs: full, want: "AutoScalingFormulaEvaluationError: Line 1, Col 29: GetSample() takes a whole number of samples (at least 1), a timestamp or a time interval, got string" },
    "a percentage over 100": { expr: "$ActiveTasks.GetSample(TimeInterval_Minute, 150)", inputs: full, want: "AutoScalingFormulaEvaluationError: Line 1, Col 50: the sample percentage must be a double between 0 and 100, got 150" },
    "a window end that is a double with a percentage": { expr: "$ActiveTasks.GetSample(TimeInterval_Minute, 5, 70)", inputs: full, want: "AutoScalingFormulaEvaluationError: Line 1, Col 50: GetSample(start, end, percent): end must be a timestamp or a time interval, got double" },
    "GetSamplePercent of a double": { expr: "$ActiveTasks.GetSamplePercent(15)", inputs: full, want: "AutoScalingFormulaEvaluationError: Line 1, Col 36: GetSamplePercent() argument 1 must be a timestamp or a time interval, got double" },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => assert.equal(valueOf(tc.expr, tc.inputs), tc.want));
  }
});

test("every sampled variable reads its own series", async (t) => {
  const names = ["$CPUPercent", "$WallClockSeconds", "$MemoryBytes", "$DiskBytes", "$DiskReadBytes", "$DiskWriteBytes", "$DiskReadOps", "$DiskWriteOps", "$NetworkInBytes", "$NetworkOutBytes", "$SampleNodeCount", "$ActiveTasks", "$RunningTasks", "$PendingTasks", "$SucceededTasks", "$FailedTasks", "$PreemptedNodeCount"];
  const samples = Object.fromEntries(names.map((n, i) => [n, series([i])]));
  for (const [i, name] of names.entries()) {
    await t.test(name, () => assert.equal(valueOf(`${name}.GetSample(1)`, { samples }), `[${i}]`));
  }
});

test("InsufficientSampleData: Azure's code, message and 'Line L, Col C' detail at the '(' after GetSample", () => {
  const formula = [
    "// scale on running tasks",
    "$samples = $RunningTasks.GetSamplePercent(TimeInterval_Minute * 5);",
    "$running =   $RunningTasks.GetSample(TimeInterval_Minute * 5);",
    "$TargetDedicatedNodes = avg($running);",
  ].join("\n");
  const r = evaluateFormula(formula, { now, samples: { $RunningTasks: series([1, 2, 3, 4, 5]) } });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.deepEqual(r.error, {
    code: "InsufficientSampleData",
    message: "Autoscale evaluation failed due to insufficient sample data",
    line: 3,
    column: 37,
    detail: "Insufficient data from data set: $RunningTasks wanted 70%, received 50%",
    values: [{ name: "Message", value: "Line 3, Col 37: Insufficient data from data set: $RunningTasks wanted 70%, received 50%" }],
  });
  // What ran before the error is reported alongside it; the pool keeps its size.
  assert.equal(r.results, "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$samples=50");
});
