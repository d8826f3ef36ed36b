// Syntax tree of a formula. Positions point at what an error about the node should name:
// the operator of a binary expression, the '?' of a conditional, the '(' of a call.
import type { Position } from "./errors.ts";

export type BinaryOperator = "+" | "-" | "*" | "/" | "<" | "<=" | ">" | ">=" | "==" | "!=" | "&&" | "||";
export type UnaryOperator = "-" | "!";

export type Expr =
  | { kind: "number"; value: number; pos: Position }
  | { kind: "string"; value: string; pos: Position }
  | { kind: "name"; name: string; pos: Position }
  | { kind: "unary"; op: UnaryOperator; operand: Expr; pos: Position }
  | { kind: "binary"; op: BinaryOperator; left: Expr; right: Expr; pos: Position }
  | { kind: "conditional"; test: Expr; then: Expr; otherwise: Expr; pos: Position }
  | { kind: "call"; callee: string; args: Expr[]; pos: Position; open: Position }
  | { kind: "method"; target: Expr; method: string; args: Expr[]; pos: Position; open: Position }
  | { kind: "field"; target: Expr; field: string; pos: Position };

export type Statement =
  /** `name = expression`; `target` as written. */
  | { kind: "assign"; target: string; targetPos: Position; value: Expr }
  /** An expression evaluated for its effect and its errors, its value dropped (Azure's
   *  `stop();`, or `$X.GetSample(…, 100);` that fails when the history is short). */
  | { kind: "expression"; value: Expr };

export interface Program {
  statements: Statement[];
}

/** Fully parenthesised text of an expression (tests and debugging: shows how it was grouped). */
export function printExpr(e: Expr): string {
  switch (e.kind) {
    case "number":
      return String(e.value);
    case "string":
      return JSON.stringify(e.value);
    case "name":
      return e.name;
    case "unary":
      return `(${e.op}${printExpr(e.operand)})`;
    case "binary":
      return `(${printExpr(e.left)} ${e.op} ${printExpr(e.right)})`;
    case "conditional":
      return `(${printExpr(e.test)} ? ${printExpr(e.then)} : ${printExpr(e.otherwise)})`;
    case "call":
      return `${e.callee}(${e.args.map(printExpr).join(", ")})`;
    case "method":
      return `${printExpr(e.target)}.${e.method}(${e.args.map(printExpr).join(", ")})`;
    case "field":
      return `${printExpr(e.target)}.${e.field}`;
  }
}
