import assert from "node:assert/strict";
import { test } from "node:test";
import { printExpr } from "./ast.ts";
import { checkFormula } from "./evaluate.ts";
import { parseFormula } from "./parser.ts";

const grouped = (formula: string) => parseFormula(formula).statements.map((s) => (s.kind === "assign" ? `${s.target} = ${printExpr(s.value)}` : printExpr(s.value)));

test("precedence and associativity follow C", async (t) => {
  const cases: Record<string, { expr: string; grouped: string }> = {
    "* binds tighter than +": { expr: "1 + 2 * 3", grouped: "(1 + (2 * 3))" },
    "/ binds tighter than -": { expr: "8 - 4 / 2", grouped: "(8 - (4 / 2))" },
    "- is left-associative": { expr: "10 - 3 - 2", grouped: "((10 - 3) - 2)" },
    "/ is left-associative": { expr: "8 / 4 / 2", grouped: "((8 / 4) / 2)" },
    "unary minus binds tighter than *": { expr: "-2 * 3", grouped: "((-2) * 3)" },
    "unary ! binds tighter than &&": { expr: "!a && b", grouped: "((!a) && b)" },
    "double unary": { expr: "- -2", grouped: "(-(-2))" },
    "unary plus is dropped": { expr: "+2", grouped: "2" },
    "arithmetic before comparison": { expr: "a + 1 < b * 2", grouped: "((a + 1) < (b * 2))" },
    "relational before equality": { expr: "a < b == c > d", grouped: "((a < b) == (c > d))" },
    "comparison before &&": { expr: "a < 1 && b >= 2", grouped: "((a < 1) && (b >= 2))" },
    "&& before ||": { expr: "a || b && c", grouped: "(a || (b && c))" },
    "|| before ?:": { expr: "a || b ? 1 : 2", grouped: "((a || b) ? 1 : 2)" },
    "?: is right-associative": { expr: "a ? 1 : b ? 2 : 3", grouped: "(a ? 1 : (b ? 2 : 3))" },
    "?: in the middle branch": { expr: "a ? b ? 1 : 2 : 3", grouped: "(a ? (b ? 1 : 2) : 3)" },
    "parentheses override": { expr: "(1 + 2) * 3", grouped: "((1 + 2) * 3)" },
    "method call binds tightest": { expr: "-$CPUPercent.GetSample(1)", grouped: "(-$CPUPercent.GetSample(1))" },
    "method call with an expression argument": { expr: "$CPUPercent.GetSample(TimeInterval_Minute * 5)", grouped: "$CPUPercent.GetSample((TimeInterval_Minute * 5))" },
    "field of a call": { expr: "time().hour + 1", grouped: "(time().hour + 1)" },
    "function call with lists": { expr: "max(0, min(a, 25))", grouped: "max(0, min(a, 25))" },
    "no-argument call": { expr: "rand()", grouped: "rand()" },
    "strings": { expr: 'time("2024-01-01")', grouped: 'time("2024-01-01")' },
    "decimal and exponent numbers": { expr: "0.5 + .25 + 1e3 + 2.5E-1", grouped: "(((0.5 + 0.25) + 1000) + 0.25)" },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => assert.deepEqual(grouped(`x = ${tc.expr};`), [`x = ${tc.grouped}`]));
  }
});

test("statements, whitespace and comments", async (t) => {
  const cases: Record<string, { formula: string; statements: string[] }> = {
    "last ';' is optional": { formula: "$a = 1; $b = 2", statements: ["$a = 1", "$b = 2"] },
    "a statement may span lines": { formula: "$a =\n  1 +\n  2;", statements: ["$a = (1 + 2)"] },
    "CRLF and tabs are whitespace": { formula: "$a\t=\t1;\r\n$b = 2;\r\n", statements: ["$a = 1", "$b = 2"] },
    "comment lines": { formula: "// leading comment\n$a = 1; // trailing comment\n// another\n$b = 2;", statements: ["$a = 1", "$b = 2"] },
    "comment on the last line without a newline": { formula: "$a = 1; // done", statements: ["$a = 1"] },
    "comment between operands": { formula: "$a = 1 + // one more\n 2;", statements: ["$a = (1 + 2)"] },
    "empty statements are skipped": { formula: ";$a = 1;;", statements: ["$a = 1"] },
    "user variables with and without $": { formula: "tasks = 1; $tasks = 2;", statements: ["tasks = 1", "$tasks = 2"] },
    "string escapes": { formula: 's = "a\\"b";', statements: ['s = "a\\"b"'] },
    "exactly 100 statements": { formula: "$a = 1;".repeat(100), statements: Array(100).fill("$a = 1") },
    // Azure evaluates an expression as a statement, for its effect (stop) or its errors (too few samples).
    "a call as a statement": { formula: "stop();", statements: ["stop()"] },
    "a sample request as a statement": {
      formula: "$RunningTasks.GetSample(10 * TimeInterval_Second, 0 * TimeInterval_Second, 100);",
      statements: ["$RunningTasks.GetSample((10 * TimeInterval_Second), (0 * TimeInterval_Second), 100)"],
    },
    "a comparison as a statement": { formula: "$a = 1; $a == 2;", statements: ["$a = 1", "($a == 2)"] },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => assert.deepEqual(grouped(tc.formula), tc.statements));
  }
});

test("malformed formulas report the position and what is wrong", async (t) => {
  const cases: Record<string, { formula: string; line: number; column: number; detail: RegExp; code?: string }> = {
    "missing ';' between statements": { formula: "$a = 1\n$b = 2", line: 2, column: 1, detail: /missing ';' between statements \(found '\$b'\)/ },
    "missing ';' on one line": { formula: "$a = 1 $b = 2;", line: 1, column: 8, detail: /missing ';'/ },
    "two values in a row": { formula: "$a = 1 2;", line: 1, column: 8, detail: /missing ';'.*'2'/ },
    "missing operand at the end": { formula: "$a = 1 +", line: 1, column: 9, detail: /expected an expression, found the end of the formula/ },
    "missing operand before ';'": { formula: "$a = 1 * ;", line: 1, column: 10, detail: /expected an expression, found ';'/ },
    "empty right-hand side": { formula: "$a = ;", line: 1, column: 6, detail: /expected an expression/ },
    "an expression statement naming an undefined variable": { formula: "$a;", line: 1, column: 1, detail: /'\$a' is not defined/ },
    "assigning to a number": { formula: "5 = $a;", line: 1, column: 3, detail: /unexpected '=' in an expression/ },
    "'==' on an undefined variable": { formula: "$a == 1;", line: 1, column: 1, detail: /'\$a' is not defined/ },
    "'=' inside an expression": { formula: "$a = $b = 1;", line: 1, column: 9, detail: /unexpected '='.*'=='/ },
    "unclosed parenthesis": { formula: "$a = (1 + 2;", line: 1, column: 12, detail: /expected '\)' to close '\(' at line 1, column 6, found ';'/ },
    "extra closing parenthesis": { formula: "$a = 1);", line: 1, column: 7, detail: /unexpected '\)' with no matching '\('/ },
    "unclosed argument list": { formula: "$a = max(1, 2;", line: 1, column: 14, detail: /expected '\)' to close the argument list opened at line 1, column 9/ },
    "trailing comma in arguments": { formula: "$a = max(1, );", line: 1, column: 13, detail: /expected an expression, found '\)'/ },
    "ternary without ':'": { formula: "$a = 1 ? 2;", line: 1, column: 11, detail: /expected ':' in the conditional started by '\?' at line 1, column 8/ },
    "single '&'": { formula: "$a = 1 & 2;", line: 1, column: 8, detail: /unexpected '&' \(the logical operators are '&&' and '\|\|'\)/ },
    "single '|'": { formula: "$a = 1 | 2;", line: 1, column: 8, detail: /unexpected '\|'/ },
    "unknown character": { formula: "$a = 1;\n$b = #2;", line: 2, column: 6, detail: /unexpected character '#'/ },
    "single-quoted string": { formula: "$a = time('2024');", line: 1, column: 11, detail: /double quotes/ },
    "unterminated string": { formula: '$a = time("2024\n");', line: 1, column: 11, detail: /unterminated string/ },
    "bare '$'": { formula: "$ = 1;", line: 1, column: 1, detail: /'\$' must be followed by a variable name/ },
    "invalid number": { formula: "$a = 12abc;", line: 1, column: 6, detail: /invalid number '12abc'/ },
    "number with two points": { formula: "$a = 1.2.3;", line: 1, column: 6, detail: /invalid number '1.2.3'/ },
    "'.' without a name": { formula: "$a = $CPUPercent.;", line: 1, column: 18, detail: /expected a method or field name after '\.', found ';'/ },
    "block comments are not comments": { formula: "/* note */ $a = 1;", line: 1, column: 1, detail: /expected an expression, found '\/'/ },
    "position after CRLF lines": { formula: "$a = 1;\r\n$b = 2;\r\n$c = * 3;", line: 3, column: 6, detail: /expected an expression, found '\*'/ },
    "tabs count as one column": { formula: "\t$a = )", line: 1, column: 7, detail: /expected an expression, found '\)'/ },
    "empty formula": { formula: "  // nothing\n", line: 2, column: 1, detail: /no statements/ },
    "nesting too deep": { formula: `$a = ${"(".repeat(3000)}1${")".repeat(3000)};`, line: 1, column: 106, detail: /nested more than 100 levels deep/ },
    "unary chains too deep": { formula: `$a = ${"-".repeat(3000)}1;`, line: 1, column: 105, detail: /nested more than 100 levels deep/ },
    "more than 100 statements": { formula: "$a = 1;\n".repeat(101), line: 101, column: 1, detail: /more than 100 statements/ },
    "longer than 8 KB": { formula: `$a = 1;${" ".repeat(8190)}`, line: 1, column: 8193, detail: /8197 characters long; the limit is 8192/, code: "AutoScaleFormulaTooLong" },
    // Name checks need no inputs, so a bad formula is refused before it ever runs.
    "undefined variable": { formula: "$a = $b + 1;", line: 1, column: 6, detail: /'\$b' is not defined/ },
    "variable used before its assignment": { formula: "$a = tasks;\ntasks = 1;", line: 1, column: 6, detail: /'tasks' is not defined/ },
    "a misspelt service variable": { formula: "$a = $CurrentDedicatedNode;", line: 1, column: 6, detail: /'\$CurrentDedicatedNode' is not defined/ },
    "a sampled variable read without a method": { formula: "$a = $ActiveTasks + 1;", line: 1, column: 6, detail: /'\$ActiveTasks' is a sampled variable: read it with a method, e\.g\. \$ActiveTasks\.GetSample\(1\)/ },
    "assigning a sampled variable": { formula: "$CPUPercent = 1;", line: 1, column: 1, detail: /'\$CPUPercent' is a sampled service variable and is read-only/ },
    "assigning a read-only value": { formula: "$a = 1;\n  $CurrentDedicated = 2;", line: 2, column: 3, detail: /'\$CurrentDedicated' is a service variable and is read-only/ },
    "assigning a constant": { formula: "TimeInterval_Minute = 1;", line: 1, column: 1, detail: /is a constant/ },
    "assigning a keyword": { formula: "requeue = 1;", line: 1, column: 1, detail: /is a keyword/ },
    "unknown time interval": { formula: "$a = TimeInterval_Minutes * 5;", line: 1, column: 6, detail: /unknown time interval 'TimeInterval_Minutes'/ },
    "unknown function": { formula: "$a = average(1, 2);", line: 1, column: 6, detail: /unknown function 'average'/ },
    "function names are case-sensitive": { formula: "$a = Max(1, 2);", line: 1, column: 6, detail: /unknown function 'Max'/ },
    "too few arguments": { formula: "$a = percentile(1);", line: 1, column: 16, detail: /percentile\(\) takes 2 arguments, got 1/ },
    "arguments to a no-argument function": { formula: "$a = rand(1);", line: 1, column: 10, detail: /rand\(\) takes 0 arguments, got 1/ },
    "no arguments to a list function": { formula: "$a = avg();", line: 1, column: 9, detail: /avg\(\) needs at least 1 argument/ },
    "unknown method": { formula: "$a = $CPUPercent.GetSamples(1);", line: 1, column: 18, detail: /unknown method 'GetSamples'/ },
    "method on a non-sampled value": { formula: "x = 1; $a = x.GetSample(1);", line: 1, column: 15, detail: /GetSample\(\) can only be called on a sampled variable/ },
    "too many method arguments": { formula: "$a = $CPUPercent.GetSample(1, 2, 3, 4);", line: 1, column: 27, detail: /GetSample\(\) takes 1 to 3 arguments, got 4/ },
    "GetSample without arguments": { formula: "$a = $CPUPercent.GetSample();", line: 1, column: 27, detail: /takes 1 to 3 arguments, got 0/ },
    "unknown timestamp field": { formula: "$a = time().hours;", line: 1, column: 13, detail: /unknown field 'hours' \(timestamps have year, month, day, weekday, hour, minute, second\)/ },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const r = checkFormula(tc.formula);
      assert.equal(r.ok, false, "expected an error");
      if (r.ok) return;
      assert.equal(r.error.code, tc.code ?? "AutoScalingFormulaSyntaxError");
      assert.match(r.error.detail, tc.detail);
      assert.deepEqual([r.error.line, r.error.column], [tc.line, tc.column], r.error.detail);
      assert.deepEqual(r.error.values, [{ name: "Message", value: `Line ${tc.line}, Col ${tc.column}: ${r.error.detail}` }]);
    });
  }
});

test("checkFormula accepts good formulas and lists the sampled variables they read", () => {
  const r = checkFormula("$x = $PendingTasks.GetSample(1); $y = avg($CPUPercent.GetSample(TimeInterval_Minute)) + $PendingTasks.Count(); $TargetDedicatedNodes = max($x);");
  assert.deepEqual(r, { ok: true, statements: 3, sampledVariables: ["$PendingTasks", "$CPUPercent"] });
});
