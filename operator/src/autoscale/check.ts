// Checks that need no inputs: names, functions, methods, fields and argument counts. A
// formula is straight-line code, so "assigned by an earlier statement" is exact.
import type { Expr, Program } from "./ast.ts";
import { syntaxError } from "./errors.ts";
import { FUNCTION_ARITY } from "./functions.ts";
import {
  deallocationKeyword,
  isSampled,
  NODE_DEALLOCATION_OPTION,
  PLAIN_VARIABLES,
  readOnlyReason,
  SAMPLE_METHODS,
  targetOf,
  TIME_INTERVALS,
  TIMESTAMP_FIELDS,
  type SampledVariable,
} from "./names.ts";

function arity(what: string, got: number, { min, max }: { min: number; max: number }): string | undefined {
  if (got >= min && got <= max) return undefined;
  const plural = (n: number) => `${n} argument${n === 1 ? "" : "s"}`;
  if (min === max) return `${what} takes ${plural(min)}, got ${got}`;
  if (max === Infinity) return `${what} needs at least ${plural(min)}`;
  return `${what} takes ${min} to ${max} arguments, got ${got}`;
}

/** Validates a parsed formula; throws a syntax FormulaError. Returns the sampled variables it reads. */
export function checkProgram(program: Program): SampledVariable[] {
  const assigned = new Set<string>();
  const sampled = new Set<SampledVariable>();

  const visit = (e: Expr): void => {
    switch (e.kind) {
      case "number":
      case "string":
        return;
      case "name": {
        const n = e.name;
        if (isSampled(n)) throw syntaxError(e.pos, `'${n}' is a sampled variable: read it with a method, e.g. ${n}.GetSample(1)`);
        if (n in PLAIN_VARIABLES || targetOf(n) || n === NODE_DEALLOCATION_OPTION || n in TIME_INTERVALS || deallocationKeyword(n) || assigned.has(n)) return;
        if (n.startsWith("TimeInterval_")) throw syntaxError(e.pos, `unknown time interval '${n}' (known: ${Object.keys(TIME_INTERVALS).join(", ")})`);
        throw syntaxError(e.pos, `'${n}' is not defined: it is not a service variable and no earlier statement assigns it`);
      }
      case "unary":
        return visit(e.operand);
      case "binary":
        visit(e.left);
        return visit(e.right);
      case "conditional":
        visit(e.test);
        visit(e.then);
        return visit(e.otherwise);
      case "call": {
        const a = FUNCTION_ARITY[e.callee];
        if (!a) throw syntaxError(e.pos, `unknown function '${e.callee}' (known: ${Object.keys(FUNCTION_ARITY).join(", ")})`);
        const bad = arity(`${e.callee}()`, e.args.length, a);
        if (bad) throw syntaxError(e.open, bad);
        return e.args.forEach(visit);
      }
      case "method": {
        const a = SAMPLE_METHODS[e.method];
        if (!a) throw syntaxError(e.pos, `unknown method '${e.method}' (sampled variables have ${Object.keys(SAMPLE_METHODS).join(", ")})`);
        if (e.target.kind !== "name" || !isSampled(e.target.name)) {
          throw syntaxError(e.pos, `${e.method}() can only be called on a sampled variable such as $PendingTasks`);
        }
        sampled.add(e.target.name);
        const bad = arity(`${e.method}()`, e.args.length, a);
        if (bad) throw syntaxError(e.open, bad);
        return e.args.forEach(visit);
      }
      case "field":
        if (!(TIMESTAMP_FIELDS as readonly string[]).includes(e.field)) {
          throw syntaxError(e.pos, `unknown field '${e.field}' (timestamps have ${TIMESTAMP_FIELDS.join(", ")})`);
        }
        return visit(e.target);
    }
  };

  for (const s of program.statements) {
    if (s.kind === "expression") {
      visit(s.value);
      continue;
    }
    const readOnly = readOnlyReason(s.target);
    if (readOnly) throw syntaxError(s.targetPos, readOnly);
    visit(s.value);
    assigned.add(s.target);
  }
  return [...sampled];
}
