// Recursive-descent parser. Azure does not document operator precedence; every published
// formula fits C's order, which this follows: unary, * /, + -, < <= > >=, == !=, &&, ||, ?:
import type { BinaryOperator, Expr, Program, Statement } from "./ast.ts";
import { ErrorCode, FormulaError, syntaxError, type Position } from "./errors.ts";
import { describeToken, tokenize, type Token } from "./lexer.ts";

export const MAX_FORMULA_LENGTH = 8192;
export const MAX_STATEMENTS = 100;
/** Deeper nesting than any real formula; keeps 8 KB of '(' from exhausting the stack. */
export const MAX_NESTING = 100;

const BINARY_LEVELS: BinaryOperator[][] = [["||"], ["&&"], ["==", "!="], ["<", "<=", ">", ">="], ["+", "-"], ["*", "/"]];

function positionAt(source: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    const c = source[i];
    if (c === "\n" || (c === "\r" && source[i + 1] !== "\n")) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1, offset };
}

/** Parses a formula into statements; throws FormulaError (syntax, too long) with its position. */
export function parseFormula(source: string): Program {
  if (source.length > MAX_FORMULA_LENGTH) {
    throw new FormulaError(ErrorCode.tooLong, positionAt(source, MAX_FORMULA_LENGTH), `the formula is ${source.length} characters long; the limit is ${MAX_FORMULA_LENGTH} (8 KB)`);
  }
  return new Parser(tokenize(source)).program();
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;
  private depth = 0;

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  private peek(): Token {
    return this.tokens[this.i]!;
  }
  private next(): Token {
    const t = this.tokens[this.i]!;
    if (t.kind !== "end") this.i++;
    return t;
  }
  private isPunct(text: string): boolean {
    const t = this.peek();
    return t.kind === "punct" && t.text === text;
  }
  private expectPunct(text: string, context: string): Token {
    if (!this.isPunct(text)) throw syntaxError(this.peek().pos, `expected '${text}' ${context}, found ${describeToken(this.peek())}`);
    return this.next();
  }

  program(): Program {
    const statements: Statement[] = [];
    for (;;) {
      while (this.isPunct(";")) this.next(); // empty statements are harmless
      const t = this.peek();
      if (t.kind === "end") break;
      if (statements.length === MAX_STATEMENTS) throw syntaxError(t.pos, `the formula has more than ${MAX_STATEMENTS} statements`);
      statements.push(this.statement());
      const after = this.peek();
      if (after.kind === "end") break;
      if (after.kind === "punct" && after.text === ";") continue;
      if (after.kind === "punct" && after.text === "=") throw syntaxError(after.pos, "unexpected '=' in an expression (comparison is '==')");
      if (after.kind === "punct" && after.text === ")") throw syntaxError(after.pos, "unexpected ')' with no matching '('");
      throw syntaxError(after.pos, `missing ';' between statements (found ${describeToken(after)})`);
    }
    if (statements.length === 0) throw syntaxError(this.peek().pos, "the formula has no statements (expected e.g. '$TargetDedicatedNodes = 1;')");
    return { statements };
  }

  private statement(): Statement {
    const t = this.peek();
    const after = this.tokens[this.i + 1];
    if (t.kind !== "name" || after?.kind !== "punct" || after.text !== "=") return { kind: "expression", value: this.expression() };
    this.i += 2;
    return { kind: "assign", target: t.text, targetPos: t.pos, value: this.expression() };
  }

  private expression(): Expr {
    if (++this.depth > MAX_NESTING) throw syntaxError(this.peek().pos, `the expression is nested more than ${MAX_NESTING} levels deep`);
    try {
      return this.conditional();
    } finally {
      this.depth--;
    }
  }

  private conditional(): Expr {
    const test = this.binary(0);
    if (!this.isPunct("?")) return test;
    const q = this.next();
    const then = this.expression();
    this.expectPunct(":", `in the conditional started by '?' at line ${q.pos.line}, column ${q.pos.column}`);
    const otherwise = this.expression();
    return { kind: "conditional", test, then, otherwise, pos: q.pos };
  }

  private binary(level: number): Expr {
    const ops = BINARY_LEVELS[level];
    if (!ops) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (t.kind !== "punct" || !(ops as string[]).includes(t.text)) return left;
      this.next();
      const right = this.binary(level + 1);
      left = { kind: "binary", op: t.text as BinaryOperator, left, right, pos: t.pos };
    }
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.kind === "punct" && (t.text === "-" || t.text === "!" || t.text === "+")) {
      this.next();
      if (++this.depth > MAX_NESTING) throw syntaxError(t.pos, `the expression is nested more than ${MAX_NESTING} levels deep`);
      const operand = this.unary();
      this.depth--;
      return t.text === "+" ? operand : { kind: "unary", op: t.text, operand, pos: t.pos };
    }
    return this.postfix(this.primary());
  }

  private postfix(expr: Expr): Expr {
    while (this.isPunct(".")) {
      this.next();
      const name = this.next();
      if (name.kind !== "name" || name.text.startsWith("$")) throw syntaxError(name.pos, `expected a method or field name after '.', found ${describeToken(name)}`);
      if (this.isPunct("(")) {
        const open = this.next();
        expr = { kind: "method", target: expr, method: name.text, args: this.args(open), pos: name.pos, open: open.pos };
      } else {
        expr = { kind: "field", target: expr, field: name.text, pos: name.pos };
      }
    }
    return expr;
  }

  private args(open: Token): Expr[] {
    const args: Expr[] = [];
    if (this.isPunct(")")) {
      this.next();
      return args;
    }
    for (;;) {
      args.push(this.expression());
      if (this.isPunct(",")) {
        this.next();
        continue;
      }
      this.expectPunct(")", `to close the argument list opened at line ${open.pos.line}, column ${open.pos.column}`);
      return args;
    }
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case "number":
        return { kind: "number", value: t.value!, pos: t.pos };
      case "string":
        return { kind: "string", value: t.text, pos: t.pos };
      case "name":
        if (this.isPunct("(")) {
          const open = this.next();
          return { kind: "call", callee: t.text, args: this.args(open), pos: t.pos, open: open.pos };
        }
        return { kind: "name", name: t.text, pos: t.pos };
      case "punct":
        if (t.text === "(") {
          const inner = this.expression();
          this.expectPunct(")", `to close '(' at line ${t.pos.line}, column ${t.pos.column}`);
          return inner;
        }
        break;
      case "end":
        break;
    }
    throw syntaxError(t.pos, `expected an expression, found ${describeToken(t)}`);
  }
}
