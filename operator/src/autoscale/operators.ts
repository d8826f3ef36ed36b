// Operator rules of Azure Batch's formula language. Arithmetic is element-wise on vectors
// (a one-element vector broadcasts, since GetSample(1) is the common way to read "now");
// comparisons give 1 or 0. && and || are short-circuited by the evaluator.
import type { BinaryOperator, UnaryOperator } from "./ast.ts";
import { evaluationError, type Position } from "./errors.ts";
import { asDouble, bool, double, doubleVec, timeinterval, timestamp, typeName, type Value } from "./values.ts";

type Arith = "+" | "-" | "*" | "/";

function arith(op: Arith, a: number, b: number): number {
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return a / b;
  }
}

function compare(op: BinaryOperator, a: number | string, b: number | string): boolean | undefined {
  switch (op) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "==":
      return a === b;
    case "!=":
      return a !== b;
    default:
      return undefined;
  }
}

const isNumeric = (v: Value) => v.type === "double" || v.type === "doubleVec";
const elements = (v: Value): number[] => (v.type === "double" ? [v.value] : v.type === "doubleVec" ? v.value : []);

function vectorArith(op: Arith, left: Value, right: Value, pos: Position): Value {
  const a = elements(left);
  const b = elements(right);
  if (a.length !== b.length && a.length !== 1 && b.length !== 1) {
    throw evaluationError(pos, `'${op}' needs vectors of the same length, got ${a.length} and ${b.length} elements`);
  }
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(arith(op, a[a.length === 1 ? 0 : i]!, b[b.length === 1 ? 0 : i]!));
  return doubleVec(out);
}

export function applyBinary(op: Exclude<BinaryOperator, "&&" | "||">, left: Value, right: Value, pos: Position): Value {
  const mismatch = () => evaluationError(pos, `operator '${op}' cannot be applied to ${typeName(left)} and ${typeName(right)}`);
  const l = left.type;
  const r = right.type;

  if (op === "+" || op === "-" || op === "*" || op === "/") {
    if (l === "double" && r === "double") return double(arith(op, left.value, right.value));
    if (isNumeric(left) && isNumeric(right)) return vectorArith(op, left, right, pos);
    const ld = asDouble(left);
    const rd = asDouble(right);
    if (op === "*" && ld !== undefined && r === "timeinterval") return timeinterval(ld * right.value);
    if ((op === "*" || op === "/") && l === "timeinterval" && rd !== undefined) return timeinterval(arith(op, left.value, rd));
    if (l === "timeinterval" && r === "timeinterval") {
      if (op === "+" || op === "-") return timeinterval(arith(op, left.value, right.value));
      // Not in Azure's table, but "how many minutes is this interval" has no other spelling.
      if (op === "/") return double(left.value / right.value);
    }
    if (l === "timestamp" && r === "timeinterval" && (op === "+" || op === "-")) return timestamp(arith(op, left.value, right.value));
    if (l === "timeinterval" && r === "timestamp" && op === "+") return timestamp(left.value + right.value);
    if (l === "timestamp" && r === "timestamp" && op === "-") return timeinterval(left.value - right.value);
    throw mismatch();
  }

  // Comparisons: doubles (a one-element vector counts), strings, timestamps, intervals.
  const ld = asDouble(left);
  const rd = asDouble(right);
  let result: boolean | undefined;
  if (ld !== undefined && rd !== undefined) result = compare(op, ld, rd);
  else if ((l === "string" && r === "string") || (l === "timestamp" && r === "timestamp") || (l === "timeinterval" && r === "timeinterval")) {
    result = compare(op, left.value as number | string, right.value as number | string);
  } else if (l === "option" && r === "option" && (op === "==" || op === "!=")) result = compare(op, left.value, right.value);
  if (result === undefined) {
    if (isNumeric(left) && isNumeric(right)) {
      throw evaluationError(pos, `operator '${op}' compares single values; got ${typeName(left)} and ${typeName(right)} (reduce a vector with avg, max, min, … first)`);
    }
    throw mismatch();
  }
  return bool(result);
}

export function applyUnary(op: UnaryOperator, operand: Value, pos: Position): Value {
  if (op === "-") {
    if (operand.type === "double") return double(-operand.value);
    if (operand.type === "doubleVec") return doubleVec(operand.value.map((x) => -x));
    if (operand.type === "timeinterval") return timeinterval(-operand.value);
  } else {
    const d = asDouble(operand);
    if (d !== undefined) return bool(d === 0);
  }
  throw evaluationError(pos, `operator '${op}' cannot be applied to ${typeName(operand)}`);
}

/** The truth of a condition: a non-zero double is true. */
export function truth(v: Value, pos: Position, what: string): boolean {
  const d = asDouble(v);
  if (d === undefined) throw evaluationError(pos, `${what} must be a double (non-zero is true), got ${typeName(v)}`);
  return d !== 0;
}
