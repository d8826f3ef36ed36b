// Built-in functions. A doubleVecList argument is any comma list of doubles and vectors,
// flattened before the function runs: avg(v, 7) is avg(v[0], …, v[n-1], 7).
import { evaluationError, type Position } from "./errors.ts";
import { parseTime } from "./time-parse.ts";
import { asDouble, double, doubleVec, timestamp, typeName, type Value } from "./values.ts";

export interface CallContext {
  /** Position of the function name (errors about the call). */
  pos: Position;
  /** Position of each argument (errors about one argument). */
  argPos: Position[];
  now: number;
  random: () => number;
}

/** Thrown by stop(): evaluation ends, what was assigned before stays. */
export class StopEvaluation {
  readonly pos: Position;
  constructor(pos: Position) {
    this.pos = pos;
  }
}

type Fn = (args: Value[], ctx: CallContext) => Value;

export const FUNCTION_ARITY: Record<string, { min: number; max: number }> = {
  avg: { min: 1, max: Infinity },
  len: { min: 1, max: Infinity },
  lg: { min: 1, max: Infinity },
  ln: { min: 1, max: Infinity },
  log: { min: 1, max: Infinity },
  max: { min: 1, max: Infinity },
  min: { min: 1, max: Infinity },
  norm: { min: 1, max: Infinity },
  percentile: { min: 2, max: 2 },
  rand: { min: 0, max: 0 },
  range: { min: 1, max: Infinity },
  std: { min: 1, max: Infinity },
  stop: { min: 0, max: 0 },
  sum: { min: 1, max: Infinity },
  time: { min: 0, max: 1 },
  val: { min: 2, max: 2 },
};

function flatten(name: string, args: Value[], ctx: CallContext): number[] {
  const out: number[] = [];
  args.forEach((a, i) => {
    if (a.type === "double") out.push(a.value);
    else if (a.type === "doubleVec") out.push(...a.value);
    else throw evaluationError(ctx.argPos[i] ?? ctx.pos, `${name}() takes doubles and doubleVecs, argument ${i + 1} is a ${typeName(a)}`);
  });
  return out;
}

function nonEmpty(name: string, args: Value[], ctx: CallContext): number[] {
  const xs = flatten(name, args, ctx);
  if (xs.length === 0) throw evaluationError(ctx.pos, `${name}() of an empty list (no samples?)`);
  return xs;
}

function doubleArg(name: string, args: Value[], i: number, ctx: CallContext): number {
  const d = asDouble(args[i]!);
  if (d === undefined) throw evaluationError(ctx.argPos[i] ?? ctx.pos, `${name}() argument ${i + 1} must be a double, got ${typeName(args[i]!)}`);
  return d;
}

const sumOf = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
// Loops, not Math.max(...xs): a long history would overflow the argument stack.
const maxOf = (xs: number[]) => xs.reduce((m, x) => (x > m || Number.isNaN(x) ? x : m), -Infinity);
const minOf = (xs: number[]) => xs.reduce((m, x) => (x < m || Number.isNaN(x) ? x : m), Infinity);

// lg/ln/log map over a list and give a double for a single double.
const logarithm =
  (name: string, f: (x: number) => number): Fn =>
  (args, ctx) => {
    const xs = flatten(name, args, ctx);
    return args.length === 1 && args[0]!.type === "double" ? double(f(xs[0]!)) : doubleVec(xs.map(f));
  };

export const FUNCTIONS: Record<string, Fn> = {
  avg: (args, ctx) => {
    const xs = nonEmpty("avg", args, ctx);
    return double(sumOf(xs) / xs.length);
  },
  len: (args, ctx) => double(flatten("len", args, ctx).length),
  lg: logarithm("lg", Math.log2),
  ln: logarithm("ln", Math.log),
  log: logarithm("log", Math.log10),
  max: (args, ctx) => double(maxOf(nonEmpty("max", args, ctx))),
  min: (args, ctx) => double(minOf(nonEmpty("min", args, ctx))),
  norm: (args, ctx) => double(Math.sqrt(sumOf(flatten("norm", args, ctx).map((x) => x * x)))),
  // The element at rank ceil(p% · n) of the sorted vector (nearest rank): always a member.
  percentile: (args, ctx) => {
    const xs = nonEmpty("percentile", [args[0]!], ctx).sort((a, b) => a - b);
    const p = doubleArg("percentile", args, 1, ctx);
    if (!(p >= 0 && p <= 100)) throw evaluationError(ctx.argPos[1] ?? ctx.pos, `percentile() needs a percentage between 0 and 100, got ${p}`);
    const rank = Math.min(xs.length, Math.max(1, Math.ceil((p / 100) * xs.length)));
    return double(xs[rank - 1]!);
  },
  rand: (_args, ctx) => double(ctx.random()),
  range: (args, ctx) => {
    const xs = nonEmpty("range", args, ctx);
    return double(maxOf(xs) - minOf(xs));
  },
  // Sample standard deviation (n − 1); a single value has none, so 0.
  std: (args, ctx) => {
    const xs = nonEmpty("std", args, ctx);
    if (xs.length < 2) return double(0);
    const mean = sumOf(xs) / xs.length;
    return double(Math.sqrt(sumOf(xs.map((x) => (x - mean) ** 2)) / (xs.length - 1)));
  },
  stop: (_args, ctx) => {
    throw new StopEvaluation(ctx.pos);
  },
  sum: (args, ctx) => double(sumOf(flatten("sum", args, ctx))),
  time: (args, ctx) => {
    if (args.length === 0) return timestamp(ctx.now);
    const s = args[0]!;
    if (s.type !== "string") throw evaluationError(ctx.argPos[0] ?? ctx.pos, `time() takes a string, got ${typeName(s)}`);
    if (s.value === "") return timestamp(ctx.now);
    const t = parseTime(s.value);
    if (t === undefined) throw evaluationError(ctx.argPos[0] ?? ctx.pos, `time() cannot read "${s.value}": use W3C-DTF (2024-05-01T08:00:00Z) or RFC 1123 (Wed, 01 May 2024 08:00:00 GMT)`);
    return timestamp(t);
  },
  val: (args, ctx) => {
    const v = args[0]!;
    const xs = v.type === "doubleVec" ? v.value : v.type === "double" ? [v.value] : undefined;
    if (!xs) throw evaluationError(ctx.argPos[0] ?? ctx.pos, `val() takes a doubleVec, got ${typeName(v)}`);
    const i = doubleArg("val", args, 1, ctx);
    if (!Number.isInteger(i) || i < 0 || i >= xs.length) throw evaluationError(ctx.argPos[1] ?? ctx.pos, `val() index ${i} is outside the vector (${xs.length} elements, indexes from 0)`);
    return double(xs[i]!);
  },
};
