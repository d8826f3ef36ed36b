import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluateFormula, type FormulaInputs } from "./evaluate.ts";

// Wednesday 1 May 2024, 09:30:15.250 UTC.
const now = Date.parse("2024-05-01T09:30:15.250Z");

/** The value of `$v = <expr>` as the result string shows it, or "error: <detail>". */
function valueOf(expr: string, inputs: FormulaInputs = {}): string {
  const r = evaluateFormula(`$v = ${expr};`, { now, ...inputs });
  if (!r.ok) return `error: ${r.error.detail}`;
  return r.variables.find((v) => v.name === "$v")!.value;
}

test("types and operators", async (t) => {
  const cases: Record<string, { expr: string; want: string; inputs?: FormulaInputs }> = {
    // doubles
    "addition": { expr: "1 + 2", want: "3" },
    "precedence": { expr: "1 + 2 * 3 - 4 / 2", want: "5" },
    "fractions": { expr: "1 / 4", want: "0.25" },
    "unary minus": { expr: "-(2 + 3)", want: "-5" },
    "division by zero is infinite": { expr: "1 / 0", want: "Infinity" },
    "large numbers use .NET's exponent": { expr: "1e21 * 10", want: "1E+22" },
    // comparisons and logic give 1 or 0
    "less than": { expr: "1 < 2", want: "1" },
    "less or equal": { expr: "2 <= 2", want: "1" },
    "greater than": { expr: "1 > 2", want: "0" },
    "greater or equal": { expr: "1 >= 2", want: "0" },
    "equal": { expr: "0.5 == 1 / 2", want: "1" },
    "not equal": { expr: "1 != 1", want: "0" },
    "not of zero": { expr: "!0", want: "1" },
    "not of non-zero": { expr: "!5", want: "0" },
    "and": { expr: "2 && 3", want: "1" },
    "and with zero": { expr: "2 && 0", want: "0" },
    "or": { expr: "0 || -1", want: "1" },
    "or of zeros": { expr: "0 || 0", want: "0" },
    "ternary true": { expr: "5 ? 1 : 2", want: "1" },
    "ternary false": { expr: "0 ? 1 : 2", want: "2" },
    "ternary on a comparison": { expr: "3 > 2 ? 20 : 10", want: "20" },
    // strings
    "string value": { expr: '"hello"', want: "hello" },
    "string equality": { expr: '"abc" == "abc"', want: "1" },
    "string ordering": { expr: '"abc" < "abd"', want: "1" },
    // time intervals
    "interval constant": { expr: "TimeInterval_Minute", want: "00:01:00" },
    "double × interval": { expr: "TimeInterval_Minute * 15", want: "00:15:00" },
    "interval × double": { expr: "TimeInterval_Hour * 1.5", want: "01:30:00" },
    "interval / double": { expr: "TimeInterval_Hour / 4", want: "00:15:00" },
    "interval + interval": { expr: "TimeInterval_Day + TimeInterval_Second", want: "1.00:00:01" },
    "interval - interval": { expr: "TimeInterval_Second - TimeInterval_Minute", want: "-00:00:59" },
    "negated interval": { expr: "-TimeInterval_Week", want: "-7.00:00:00" },
    "interval / interval gives a double": { expr: "TimeInterval_Hour / TimeInterval_Minute", want: "60" },
    "fine intervals": { expr: "TimeInterval_Millisecond * 5 + TimeInterval_Microsecond + TimeInterval_100ns", want: "00:00:00.0050011" },
    "zero interval": { expr: "TimeInterval_Zero", want: "00:00:00" },
    "a year is 365 days": { expr: "TimeInterval_Year", want: "365.00:00:00" },
    "interval comparison": { expr: "TimeInterval_Minute * 60 == TimeInterval_Hour", want: "1" },
    "interval ordering": { expr: "TimeInterval_Second < TimeInterval_Millisecond", want: "0" },
    // timestamps
    "time() is now, ISO with milliseconds": { expr: "time()", want: "2024-05-01T09:30:15.250Z" },
    "timestamp + interval": { expr: "time() + TimeInterval_Day", want: "2024-05-02T09:30:15.250Z" },
    "interval + timestamp": { expr: "TimeInterval_Hour + time()", want: "2024-05-01T10:30:15.250Z" },
    "timestamp - interval": { expr: "time() - TimeInterval_Minute * 31", want: "2024-05-01T08:59:15.250Z" },
    "timestamp - timestamp": { expr: 'time() - time("2024-05-01T09:00:00Z")', want: "00:30:15.2500000" },
    "timestamp comparison": { expr: 'time() > time("2024-05-01")', want: "1" },
    "year": { expr: "time().year", want: "2024" },
    "month": { expr: "time().month", want: "5" },
    "day": { expr: "time().day", want: "1" },
    "weekday of a Wednesday": { expr: "time().weekday", want: "3" },
    "weekday 1 is Monday": { expr: 'time("2024-04-29T12:00:00Z").weekday', want: "1" },
    "weekday 7 is Sunday": { expr: 'time("2024-05-05T23:59:59Z").weekday', want: "7" },
    "hour": { expr: "time().hour", want: "9" },
    "minute": { expr: "time().minute", want: "30" },
    "second": { expr: "time().second", want: "15" },
    "fields are UTC": { expr: 'time("2024-05-01T01:00:00+02:00").hour', want: "23" },
    // vectors are element-wise
    "vector + double": { expr: "$CPUPercent.GetSample(3) + 1", want: "[11,21,31]" },
    "double * vector": { expr: "2 * $CPUPercent.GetSample(3)", want: "[20,40,60]" },
    "vector - vector": { expr: "$CPUPercent.GetSample(3) - $ActiveTasks.GetSample(3)", want: "[9,18,27]" },
    "vector / vector": { expr: "$CPUPercent.GetSample(3) / $ActiveTasks.GetSample(3)", want: "[10,10,10]" },
    "negated vector": { expr: "-$ActiveTasks.GetSample(2)", want: "[-2,-3]" },
    "one-element vector broadcasts": { expr: "$CPUPercent.GetSample(3) - $ActiveTasks.GetSample(1)", want: "[7,17,27]" },
    "one-element vector compares as a double": { expr: "$ActiveTasks.GetSample(1) > 2", want: "1" },
    "one-element vector as a condition": { expr: "$ActiveTasks.GetSample(1) ? 1 : 2", want: "1" },
    "one-element vector times an interval": { expr: "$ActiveTasks.GetSample(1) * TimeInterval_Minute", want: "00:03:00" },
    // errors name the types
    "double + interval": { expr: "1 + TimeInterval_Minute", want: "error: operator '+' cannot be applied to double and timeinterval" },
    "timestamp + timestamp": { expr: "time() + time()", want: "error: operator '+' cannot be applied to timestamp and timestamp" },
    "interval - timestamp": { expr: "TimeInterval_Minute - time()", want: "error: operator '-' cannot be applied to timeinterval and timestamp" },
    "string + string": { expr: '"a" + "b"', want: "error: operator '+' cannot be applied to string and string" },
    "double < string": { expr: '1 < "a"', want: "error: operator '<' cannot be applied to double and string" },
    "timestamp < interval": { expr: "time() < TimeInterval_Minute", want: "error: operator '<' cannot be applied to timestamp and timeinterval" },
    "comparing vectors": { expr: "$CPUPercent.GetSample(3) > 1", want: "error: operator '>' compares single values; got doubleVec and double (reduce a vector with avg, max, min, … first)" },
    "vectors of different lengths": { expr: "$CPUPercent.GetSample(3) + $CPUPercent.GetSample(2)", want: "error: '+' needs vectors of the same length, got 3 and 2 elements" },
    "not of a string": { expr: '!"a"', want: "error: operator '!' cannot be applied to string" },
    "minus of a timestamp": { expr: "-time()", want: "error: operator '-' cannot be applied to timestamp" },
    "condition must be a double": { expr: "time() ? 1 : 2", want: "error: the condition of '?:' must be a double (non-zero is true), got timestamp" },
    "&& on an interval": { expr: "TimeInterval_Minute && 1", want: "error: the left side of '&&' must be a double (non-zero is true), got timeinterval" },
    "field of a double": { expr: "(1 + 2).hour", want: "error: .hour is a field of a timestamp, not of a double" },
  };
  const samples = {
    $CPUPercent: [10, 20, 30].map((value, i) => ({ timestamp: now - (2 - i) * 30_000, value })),
    ActiveTasks: [1, 2, 3].map((value, i) => ({ timestamp: now - (2 - i) * 30_000, value })),
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => assert.equal(valueOf(tc.expr, { samples, ...tc.inputs }), tc.want));
  }
});

test("the branch not taken and short-circuited operands are not evaluated", async (t) => {
  // $CPUPercent has no samples, so evaluating its GetSample would fail the run.
  const cases: Record<string, { expr: string; want: string }> = {
    "?: true skips the else branch": { expr: "1 ? 5 : $CPUPercent.GetSample(1)", want: "5" },
    "?: false skips the then branch": { expr: "0 ? $CPUPercent.GetSample(1) : 6", want: "6" },
    "&& stops at a false left side": { expr: "0 && $CPUPercent.GetSample(1)", want: "0" },
    "|| stops at a true left side": { expr: "1 || $CPUPercent.GetSample(1)", want: "1" },
    "the taken branch is evaluated": { expr: "0 ? 5 : $CPUPercent.GetSample(1)", want: "error: Insufficient data from data set: $CPUPercent wanted 100%, received 0%" },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => assert.equal(valueOf(tc.expr), tc.want));
  }
});

test("service variables, targets and the deallocation option", async (t) => {
  const pool: FormulaInputs = { currentDedicatedNodes: 3, currentLowPriorityNodes: 2, targetDedicatedNodes: 4, targetLowPriorityNodes: 1, taskSlotsPerNode: 8 };
  const cases: Record<string, { formula: string; inputs?: FormulaInputs; dedicated: number; lowPriority: number; option: string; results: string }> = {
    "nothing assigned keeps the current targets and option": {
      formula: "x = 1;",
      inputs: { ...pool, nodeDeallocationOption: "terminate" },
      dedicated: 4, lowPriority: 1, option: "terminate",
      results: "$TargetDedicatedNodes=4;$TargetLowPriorityNodes=1;$NodeDeallocationOption=terminate;x=1",
    },
    "defaults: no nodes, requeue": {
      formula: "x = $CurrentDedicatedNodes + $CurrentLowPriorityNodes + $TaskSlotsPerNode + $UsableNodeCount;",
      dedicated: 0, lowPriority: 0, option: "requeue",
      results: "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;x=1",
    },
    "current targets default to the current node counts": {
      formula: "x = 1;",
      inputs: { currentDedicatedNodes: 3, currentLowPriorityNodes: 2 },
      dedicated: 3, lowPriority: 2, option: "requeue",
      results: "$TargetDedicatedNodes=3;$TargetLowPriorityNodes=2;$NodeDeallocationOption=requeue;x=1",
    },
    "plain values": {
      formula: "$d = $CurrentDedicatedNodes; $old = $CurrentDedicated; $l = $CurrentLowPriorityNodes; $s = $TaskSlotsPerNode; $u = $UsableNodeCount;",
      inputs: pool,
      dedicated: 4, lowPriority: 1, option: "requeue",
      results: "$TargetDedicatedNodes=4;$TargetLowPriorityNodes=1;$NodeDeallocationOption=requeue;$d=3;$l=2;$old=3;$s=8;$u=5",
    },
    "usable node count when given": {
      formula: "$u = $UsableNodeCount;",
      inputs: { ...pool, usableNodeCount: 4 },
      dedicated: 4, lowPriority: 1, option: "requeue",
      results: "$TargetDedicatedNodes=4;$TargetLowPriorityNodes=1;$NodeDeallocationOption=requeue;$u=4",
    },
    "reading a target before and after assigning it": {
      formula: "$before = $TargetDedicatedNodes; $TargetDedicatedNodes = 10; $after = $TargetDedicatedNodes; $lp = $TargetLowPriorityNodes;",
      inputs: pool,
      dedicated: 10, lowPriority: 1, option: "requeue",
      results: "$TargetDedicatedNodes=10;$TargetLowPriorityNodes=1;$NodeDeallocationOption=requeue;$after=10;$before=4;$lp=1",
    },
    "targets are truncated toward zero": {
      formula: "$TargetDedicatedNodes = 2.9; $TargetLowPriorityNodes = 0.99;",
      dedicated: 2, lowPriority: 0, option: "requeue",
      results: "$TargetDedicatedNodes=2.9;$TargetLowPriorityNodes=0.99;$NodeDeallocationOption=requeue",
    },
    // Capped at the pool limit (MAX_POOL_NODES), never a Deployment of 10^9 replicas; the result string keeps what the formula said.
    "a target of 10^9 nodes applies as the pool limit": {
      formula: "$TargetDedicatedNodes = 1000000000; $TargetLowPriorityNodes = 10001;",
      dedicated: 10000, lowPriority: 10000, option: "requeue",
      results: "$TargetDedicatedNodes=1000000000;$TargetLowPriorityNodes=10001;$NodeDeallocationOption=requeue",
    },
    "a target at the pool limit is kept": {
      formula: "$TargetDedicatedNodes = 10000.7;",
      dedicated: 10000, lowPriority: 0, option: "requeue",
      results: "$TargetDedicatedNodes=10000.7;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue",
    },
    "negative targets apply as 0": {
      formula: "$TargetDedicatedNodes = -3.5;",
      dedicated: 0, lowPriority: 0, option: "requeue",
      results: "$TargetDedicatedNodes=-3.5;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue",
    },
    "the alias is echoed as written": {
      formula: "$TargetDedicated = 5; $TargetLowPriority = 2;",
      dedicated: 5, lowPriority: 2, option: "requeue",
      results: "$TargetDedicated=5;$TargetLowPriority=2;$NodeDeallocationOption=requeue",
    },
    "the full name wins over the alias": {
      formula: "$TargetDedicatedNodes = 3; $TargetDedicated = 9; $TargetLowPriority = 7; $TargetLowPriorityNodes = 1;",
      dedicated: 3, lowPriority: 1, option: "requeue",
      results: "$TargetDedicatedNodes=3;$TargetLowPriorityNodes=1;$NodeDeallocationOption=requeue",
    },
    "reading the alias gives the current target": {
      formula: "$half = $TargetDedicated / 2; $TargetDedicated = $half;",
      inputs: pool,
      dedicated: 2, lowPriority: 1, option: "requeue",
      results: "$TargetDedicated=2;$TargetLowPriorityNodes=1;$NodeDeallocationOption=requeue;$half=2",
    },
    "a one-sample vector is a target": {
      formula: "$TargetDedicatedNodes = $PendingTasks.GetSample(1);",
      inputs: { samples: { $PendingTasks: [{ timestamp: now - 1000, value: 6 }] } },
      dedicated: 6, lowPriority: 0, option: "requeue",
      results: "$TargetDedicatedNodes=6;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue",
    },
    ...Object.fromEntries(
      ["requeue", "terminate", "taskcompletion", "retaineddata"].map((k) => [
        `option ${k}`,
        { formula: `$NodeDeallocationOption = ${k};`, dedicated: 0, lowPriority: 0, option: k, results: `$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=${k}` },
      ]),
    ),
    "option keywords ignore case": {
      formula: "$NodeDeallocationOption = TaskCompletion;",
      dedicated: 0, lowPriority: 0, option: "taskcompletion",
      results: "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=taskcompletion",
    },
    "option through a variable and compared": {
      formula: "$o = terminate; $NodeDeallocationOption = $o; $same = $NodeDeallocationOption == terminate;",
      dedicated: 0, lowPriority: 0, option: "terminate",
      results: "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=terminate;$o=terminate;$same=1",
    },
    "user variables sort alphabetically, $ names first, case-insensitively": {
      formula: "zeta = 1; $beta = 2; Alpha = 3; $Alpha = 4; $alpha2 = 5; beta = 6;",
      dedicated: 0, lowPriority: 0, option: "requeue",
      results: "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$Alpha=4;$alpha2=5;$beta=2;Alpha=3;beta=6;zeta=1",
    },
    "a reassigned variable shows its last value": {
      formula: "$n = 1; $n = $n + 1; $n = $n * 10;",
      dedicated: 0, lowPriority: 0, option: "requeue",
      results: "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$n=20",
    },
    "values of every type in the result string": {
      formula: '$b = 2 > 1; $d = 2.5; $i = TimeInterval_Minute * 90; $s = "text"; $t = time(); $v = $PendingTasks.GetSample(2);',
      inputs: { samples: { $PendingTasks: [{ timestamp: now - 31_000, value: 1.5 }, { timestamp: now - 1000, value: 2 }] } },
      dedicated: 0, lowPriority: 0, option: "requeue",
      results: "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$b=1;$d=2.5;$i=01:30:00;$s=text;$t=2024-05-01T09:30:15.250Z;$v=[1.5,2]",
    },
    "stop() ends the run and keeps what was assigned": {
      formula: "$TargetDedicatedNodes = 3; $x = 1 ? stop() : 0; $TargetDedicatedNodes = 9;",
      dedicated: 3, lowPriority: 0, option: "requeue",
      results: "$TargetDedicatedNodes=3;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue",
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const r = evaluateFormula(tc.formula, { now, ...tc.inputs });
      assert.ok(r.ok, r.ok ? "" : r.error.values[0]!.value);
      assert.deepEqual(r.targets, { dedicated: tc.dedicated, lowPriority: tc.lowPriority });
      assert.equal(r.nodeDeallocationOption, tc.option);
      assert.equal(r.results, tc.results);
      assert.equal(r.variables.map((v) => `${v.name}=${v.value}`).join(";"), tc.results);
      assert.equal(r.stopped, name.startsWith("stop()"));
      assert.equal(r.capped.length, (tc.dedicated === 10000 && !name.includes("kept") ? 1 : 0) + (tc.lowPriority === 10000 ? 1 : 0));
    });
  }
});

test("runtime errors carry the position and never throw", async (t) => {
  const cases: Record<string, { formula: string; line: number; column: number; detail: string; results?: string; inputs?: FormulaInputs }> = {
    "type error at the operator": { formula: "$a = 1;\n$b = time()  +  2;", line: 2, column: 14, detail: "operator '+' cannot be applied to timestamp and double", results: "$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$a=1" },
    "a target must be a double": { formula: "$TargetDedicatedNodes = time();", line: 1, column: 1, detail: "$TargetDedicatedNodes must be a double, got timestamp" },
    "a target must be finite": { formula: "$x = 0;\n  $TargetLowPriorityNodes = 1 / $x;", line: 2, column: 3, detail: "$TargetLowPriorityNodes must be a finite number, got Infinity" },
    "a target cannot be a vector": { formula: "$TargetDedicatedNodes = $PendingTasks.GetSample(2);", line: 1, column: 1, detail: "$TargetDedicatedNodes must be a double, got doubleVec", inputs: { samples: { $PendingTasks: [{ timestamp: now - 40_000, value: 1 }, { timestamp: now - 10_000, value: 2 }] } } },
    "the option must be a keyword": { formula: "$NodeDeallocationOption = 2;", line: 1, column: 1, detail: "$NodeDeallocationOption must be one of requeue, terminate, taskcompletion, retaineddata; got double" },
    "the option as an unknown string": { formula: '$NodeDeallocationOption = "drain";', line: 1, column: 1, detail: '$NodeDeallocationOption must be one of requeue, terminate, taskcompletion, retaineddata; got "drain"' },
    "a function argument's position": { formula: "$a = max(1, time());", line: 1, column: 13, detail: "max() takes doubles and doubleVecs, argument 2 is a timestamp" },
    "invalid inputs are reported, not thrown": { formula: "$a = 1;", line: 1, column: 1, detail: "internal error: inputs.now is not a valid time: yesterday", inputs: { now: "yesterday" } },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const r = evaluateFormula(tc.formula, { now, ...tc.inputs });
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.error.code, "AutoScalingFormulaEvaluationError");
      assert.equal(r.error.message, "Autoscale evaluation failed");
      assert.equal(r.error.detail, tc.detail);
      assert.deepEqual([r.error.line, r.error.column], [tc.line, tc.column]);
      assert.equal(r.error.values[0]!.value, `Line ${tc.line}, Col ${tc.column}: ${tc.detail}`);
      if (tc.results) assert.equal(r.results, tc.results);
    });
  }
});

test("a syntax error from evaluateFormula has no results", () => {
  const r = evaluateFormula("$a = (1;", { now });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.error.code, "AutoScalingFormulaSyntaxError");
  assert.equal(r.error.message, "The specified autoscale formula has a syntax error");
  assert.equal(r.results, "");
  assert.deepEqual(r.variables, []);
});

test("the clock is the default now", () => {
  const before = Date.now();
  const r = evaluateFormula("$t = time();");
  assert.ok(r.ok);
  const t = Date.parse(r.variables.find((v) => v.name === "$t")!.value);
  assert.ok(t >= before && t <= Date.now());
});

test("an expression as a statement is evaluated for its effect and errors, its value dropped", async (t) => {
  // Samples every 30 s up to now, oldest first.
  const history = (n: number) => Array.from({ length: n }, (_, i) => ({ timestamp: now - (n - 1 - i) * 30_000, value: 5 }));
  const guard = "$RunningTasks.GetSample(10 * TimeInterval_Second, 0 * TimeInterval_Second, 100);";
  const cases: Record<string, { formula: string; inputs?: FormulaInputs; results?: string; stopped?: boolean; error?: string }> = {
    "stop(); alone keeps the targets": { formula: "stop();", inputs: { targetDedicatedNodes: 3 }, results: "$TargetDedicatedNodes=3;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue", stopped: true },
    "a sample guard with enough history lets the formula go on": {
      formula: `${guard}\n$TargetDedicatedNodes = 2;`,
      inputs: { samples: { $RunningTasks: history(4) } },
      results: "$TargetDedicatedNodes=2;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue",
    },
    "a sample guard on a short history stops it with InsufficientSampleData": {
      formula: `${guard}\n$TargetDedicatedNodes = 2;`,
      inputs: { samples: { $RunningTasks: history(0) } },
      error: "InsufficientSampleData: Line 1, Col 24: Insufficient data from data set: $RunningTasks wanted 100%, received 0%",
    },
    "a comparison's value is nowhere in the results": { formula: "$a = 1; $a == 2; $TargetDedicatedNodes = $a;", results: "$TargetDedicatedNodes=1;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$a=1" },
    "an expression statement's runtime error names its position": { formula: '$TargetDedicatedNodes = 1;\n  "a" + 1;', error: "AutoScalingFormulaEvaluationError: Line 2, Col 7: " },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const r = evaluateFormula(tc.formula, { now, ...tc.inputs });
      if (tc.error) {
        assert.equal(r.ok, false, r.results);
        if (!r.ok) assert.ok(`${r.error.code}: ${r.error.values[0]!.value}`.startsWith(tc.error), r.error.values[0]!.value);
        return;
      }
      assert.ok(r.ok, r.ok ? "" : r.error.detail);
      if (!r.ok) return;
      assert.equal(r.results, tc.results);
      assert.equal(r.stopped, tc.stopped ?? false);
    });
  }
});
