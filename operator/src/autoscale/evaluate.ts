// Evaluation of a formula against a pool's current values and sample histories. Pure: the
// inputs carry "now", the samples and the random source; nothing is read from the world.
import { MAX_POOL_NODES } from "../../../api/pool.ts";
import type { Expr, Program } from "./ast.ts";
import { checkProgram } from "./check.ts";
import { ErrorCode, evaluationError, FormulaError, type AutoScaleError, type Position } from "./errors.ts";
import { FUNCTIONS, StopEvaluation } from "./functions.ts";
import {
  deallocationKeyword,
  isSampled,
  NODE_DEALLOCATION_OPTION,
  PLAIN_VARIABLES,
  TARGETS,
  targetOf,
  TIME_INTERVALS,
  TIMESTAMP_FIELDS,
  type DeallocationOption,
  type SampledVariable,
  type TargetKind,
  type TimestampField,
} from "./names.ts";
import { applyBinary, applyUnary, truth } from "./operators.ts";
import { parseFormula } from "./parser.ts";
import { formatResults, resultEntries, type ResultEntry } from "./result-string.ts";
import { callSampleMethod, DEFAULT_SAMPLE_PERIOD_SECONDS, normalizeSeries, toMillis, type Sample, type Series } from "./samples.ts";
import { asDouble, bool, double, formatDouble, timeinterval, timestampField, typeName, type Value } from "./values.ts";

export interface FormulaInputs {
  /** The evaluation time (default: the clock). time(), windows and "ago" intervals count from it. */
  now?: Date | number | string;
  /** The period the samples were taken at (default 30); window percentages are measured against it. */
  samplePeriodSeconds?: number;
  /** Each sampled variable's history, keyed "$PendingTasks" (or "PendingTasks"). Missing: no samples. */
  samples?: Partial<Record<string, readonly Sample[]>>;
  currentDedicatedNodes?: number;
  currentLowPriorityNodes?: number;
  /** Default 1. */
  taskSlotsPerNode?: number;
  /** Default: current dedicated + low-priority nodes. */
  usableNodeCount?: number;
  /** The pool's current targets (what reading a target before assigning it gives). Default: the current node counts. */
  targetDedicatedNodes?: number;
  targetLowPriorityNodes?: number;
  /** The current option (default requeue). */
  nodeDeallocationOption?: DeallocationOption;
  /** rand()'s source (default Math.random). */
  random?: () => number;
}

export type FormulaVariable = ResultEntry;

export interface EvaluationSuccess {
  ok: true;
  /** What to apply: truncated toward zero, within 0..MAX_POOL_NODES. */
  targets: { dedicated: number; lowPriority: number };
  /** A sentence for each target above MAX_POOL_NODES, which was lowered to it (empty when none was). */
  capped: string[];
  nodeDeallocationOption: DeallocationOption;
  /** Azure's result string, e.g. "$TargetDedicatedNodes=2;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$tasks=4". */
  results: string;
  /** The same entries as the result string, in the same order. */
  variables: FormulaVariable[];
  /** stop() ended the evaluation; what was assigned before it stands. */
  stopped: boolean;
}

export interface EvaluationFailure {
  ok: false;
  error: AutoScaleError;
  /** What was assigned before the error, in the result-string format (Azure reports both). */
  results: string;
  variables: FormulaVariable[];
}

export type EvaluationResult = EvaluationSuccess | EvaluationFailure;

export type CheckResult = { ok: true; statements: number; sampledVariables: SampledVariable[] } | { ok: false; error: AutoScaleError };

function asFormulaError(e: unknown): FormulaError {
  if (e instanceof FormulaError) return e;
  const origin: Position = { line: 1, column: 1, offset: 0 };
  return evaluationError(origin, `internal error: ${e instanceof Error ? e.message : String(e)}`);
}

/** Syntax and name checks only (no inputs needed): for rejecting a bad formula with its position. */
export function checkFormula(formula: string): CheckResult {
  try {
    const program = parseFormula(formula);
    const sampledVariables = checkProgram(program);
    return { ok: true, statements: program.statements.length, sampledVariables };
  } catch (e) {
    return { ok: false, error: asFormulaError(e).toAutoScaleError() };
  }
}

const sampleKey = (name: string) => (name.startsWith("$") ? name.slice(1) : name);

class Evaluation {
  private readonly now: number;
  private readonly periodMs: number;
  private readonly inputs: FormulaInputs;
  private readonly series = new Map<string, Series>();
  /** Every assigned name (as written) with its value, in assignment order. */
  readonly assigned = new Map<string, Value>();

  constructor(inputs: FormulaInputs) {
    this.inputs = inputs;
    this.now = inputs.now === undefined ? Date.now() : toMillis(inputs.now);
    if (!Number.isFinite(this.now)) throw new Error(`inputs.now is not a valid time: ${String(inputs.now)}`);
    const period = inputs.samplePeriodSeconds ?? DEFAULT_SAMPLE_PERIOD_SECONDS;
    if (!(period > 0)) throw new Error(`inputs.samplePeriodSeconds must be positive, got ${period}`);
    this.periodMs = period * 1000;
  }

  private currentTarget(kind: TargetKind): number {
    const i = this.inputs;
    return kind === "dedicated" ? (i.targetDedicatedNodes ?? i.currentDedicatedNodes ?? 0) : (i.targetLowPriorityNodes ?? i.currentLowPriorityNodes ?? 0);
  }

  /** The target's value now: the full name if assigned, else the alias, else the pool's current target. */
  target(kind: TargetKind): { name: string; value: number } {
    const { name, alias } = TARGETS[kind];
    for (const n of [name, alias]) {
      const v = this.assigned.get(n);
      if (v) return { name: n, value: asDouble(v)! };
    }
    return { name, value: this.currentTarget(kind) };
  }

  option(): DeallocationOption {
    const v = this.assigned.get(NODE_DEALLOCATION_OPTION);
    return v?.type === "option" ? v.value : (this.inputs.nodeDeallocationOption ?? "requeue");
  }

  private sampleSeries(name: string): Series {
    let s = this.series.get(name);
    if (!s) {
      const samples = this.inputs.samples;
      s = normalizeSeries(samples?.[name] ?? samples?.[sampleKey(name)], this.now);
      this.series.set(name, s);
    }
    return s;
  }

  run(program: Program): void {
    for (const s of program.statements) {
      const value = this.eval(s.value);
      if (s.kind === "assign") this.assign(s.target, s.targetPos, value);
    }
  }

  private assign(name: string, pos: Position, value: Value): void {
    if (targetOf(name)) {
      const d = asDouble(value);
      if (d === undefined) throw evaluationError(pos, `${name} must be a double, got ${typeName(value)}`);
      if (!Number.isFinite(d)) throw evaluationError(pos, `${name} must be a finite number, got ${formatDouble(d)}`);
      value = double(d);
    } else if (name === NODE_DEALLOCATION_OPTION) {
      const option = value.type === "option" ? value.value : value.type === "string" ? deallocationKeyword(value.value) : undefined;
      if (!option) throw evaluationError(pos, `${name} must be one of requeue, terminate, taskcompletion, retaineddata; got ${value.type === "string" ? `"${value.value}"` : typeName(value)}`);
      value = { type: "option", value: option };
    }
    this.assigned.set(name, value);
  }

  private eval(e: Expr): Value {
    switch (e.kind) {
      case "number":
        return double(e.value);
      case "string":
        return { type: "string", value: e.value };
      case "name":
        return this.name(e.name, e.pos);
      case "unary":
        return applyUnary(e.op, this.eval(e.operand), e.pos);
      case "binary": {
        if (e.op === "&&" || e.op === "||") {
          const left = truth(this.eval(e.left), e.pos, `the left side of '${e.op}'`);
          if (e.op === "&&" ? !left : left) return bool(left);
          return bool(truth(this.eval(e.right), e.pos, `the right side of '${e.op}'`));
        }
        return applyBinary(e.op, this.eval(e.left), this.eval(e.right), e.pos);
      }
      case "conditional":
        // Only the branch taken is evaluated: a GetSample in the other one cannot fail the run.
        return truth(this.eval(e.test), e.pos, "the condition of '?:'") ? this.eval(e.then) : this.eval(e.otherwise);
      case "call": {
        const fn = FUNCTIONS[e.callee];
        if (!fn) throw evaluationError(e.pos, `unknown function '${e.callee}'`);
        const args = e.args.map((a) => this.eval(a));
        return fn(args, { pos: e.pos, argPos: e.args.map(argPosition), now: this.now, random: this.inputs.random ?? Math.random });
      }
      case "method": {
        if (e.target.kind !== "name" || !isSampled(e.target.name)) throw evaluationError(e.pos, `${e.method}() can only be called on a sampled variable`);
        const variable = e.target.name;
        const args = e.args.map((a) => this.eval(a));
        return callSampleMethod(this.sampleSeries(variable), e.method, args, {
          variable,
          pos: e.pos,
          open: e.open,
          argPos: e.args.map(argPosition),
          now: this.now,
          periodMs: this.periodMs,
        });
      }
      case "field": {
        const target = this.eval(e.target);
        if (!(TIMESTAMP_FIELDS as readonly string[]).includes(e.field)) throw evaluationError(e.pos, `unknown field '${e.field}'`);
        if (target.type !== "timestamp") throw evaluationError(e.pos, `.${e.field} is a field of a timestamp, not of a ${typeName(target)}`);
        return double(timestampField(target.value, e.field as TimestampField));
      }
    }
  }

  private name(name: string, pos: Position): Value {
    const user = this.assigned.get(name);
    const kind = targetOf(name);
    if (kind) return double(this.target(kind).value);
    if (name === NODE_DEALLOCATION_OPTION) return { type: "option", value: this.option() };
    if (user) return user;
    const plain = PLAIN_VARIABLES[name];
    if (plain) {
      const i = this.inputs;
      const values = {
        currentDedicatedNodes: i.currentDedicatedNodes ?? 0,
        currentLowPriorityNodes: i.currentLowPriorityNodes ?? 0,
        taskSlotsPerNode: i.taskSlotsPerNode ?? 1,
        usableNodeCount: i.usableNodeCount ?? (i.currentDedicatedNodes ?? 0) + (i.currentLowPriorityNodes ?? 0),
      };
      return double(values[plain]);
    }
    const interval = TIME_INTERVALS[name];
    if (interval !== undefined) return timeinterval(interval);
    const keyword = deallocationKeyword(name);
    if (keyword) return { type: "option", value: keyword };
    if (isSampled(name)) throw evaluationError(pos, `'${name}' is a sampled variable: read it with a method, e.g. ${name}.GetSample(1)`);
    throw evaluationError(pos, `'${name}' is not defined`);
  }

  entries(): ResultEntry[] {
    const user = new Map<string, Value>();
    for (const [name, value] of this.assigned) {
      if (!targetOf(name) && name !== NODE_DEALLOCATION_OPTION) user.set(name, value);
    }
    return resultEntries({ dedicated: this.target("dedicated"), lowPriority: this.target("lowPriority"), nodeDeallocationOption: this.option(), user });
  }
}

/** Where an error about an argument points: the start of the argument's text. */
function argPosition(e: Expr): Position {
  switch (e.kind) {
    case "binary":
      return argPosition(e.left);
    case "conditional":
      return argPosition(e.test);
    case "method":
    case "field":
      return argPosition(e.target);
    default:
      return e.pos;
  }
}

// Azure sizes a pool no further than the account's quota; kubatch no further than a pool's
// schema limit (what targetDedicatedNodes accepts), so a formula cannot ask for 10^9 node pods.
const applied = (n: number) => Math.min(MAX_POOL_NODES, Math.max(0, Math.trunc(n)));

function cappedTargets(dedicated: number, lowPriority: number): string[] {
  return Object.entries({ $TargetDedicatedNodes: dedicated, $TargetLowPriorityNodes: lowPriority })
    .filter(([, n]) => Math.trunc(n) > MAX_POOL_NODES)
    .map(([name, n]) => `${name} = ${formatDouble(n)} is more than a pool may have (${MAX_POOL_NODES} nodes): the pool is sized to ${MAX_POOL_NODES}`);
}

/**
 * Evaluates a formula the way an Azure Batch autoscale run does. Never throws: a syntax or
 * runtime error (including insufficient sample data) comes back as { ok: false, error }.
 */
export function evaluateFormula(formula: string, inputs: FormulaInputs = {}): EvaluationResult {
  let evaluation: Evaluation | undefined;
  try {
    const program = parseFormula(formula);
    checkProgram(program);
    evaluation = new Evaluation(inputs);
    let stopped = false;
    try {
      evaluation.run(program);
    } catch (e) {
      if (!(e instanceof StopEvaluation)) throw e;
      stopped = true;
    }
    const variables = evaluation.entries();
    const dedicated = evaluation.target("dedicated").value;
    const lowPriority = evaluation.target("lowPriority").value;
    return {
      ok: true,
      targets: { dedicated: applied(dedicated), lowPriority: applied(lowPriority) },
      capped: cappedTargets(dedicated, lowPriority),
      nodeDeallocationOption: evaluation.option(),
      results: formatResults(variables),
      variables,
      stopped,
    };
  } catch (e) {
    let variables: ResultEntry[] = [];
    try {
      variables = evaluation?.entries() ?? [];
    } catch {
      // Partial results are a courtesy; the error is what matters.
    }
    return { ok: false, error: asFormulaError(e).toAutoScaleError(), results: formatResults(variables), variables };
  }
}

export { ErrorCode };
