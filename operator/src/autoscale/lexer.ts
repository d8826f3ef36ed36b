// Tokens of the formula language. Newlines, tabs and CRLF are plain whitespace (a statement
// may span lines), `//` starts a comment that runs to the end of the line.
import { syntaxError, type Position } from "./errors.ts";

export type TokenKind = "number" | "string" | "name" | "punct" | "end";

export interface Token {
  kind: TokenKind;
  /** The token as written (for strings: the decoded contents; for "end": ""). */
  text: string;
  /** Numeric value of a number token. */
  value?: number;
  pos: Position;
}

// Longest first, so `<=` wins over `<`.
const PUNCTUATION = ["&&", "||", "==", "!=", "<=", ">=", "(", ")", ",", ";", ".", "?", ":", "=", "+", "-", "*", "/", "!", "<", ">"];

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
const isNameStart = (c: string | undefined) => c !== undefined && /[A-Za-z_]/.test(c);
const isNamePart = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_]/.test(c);

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const here = (): Position => ({ line, column: i - lineStart + 1, offset: i });
  const newline = (width: number) => {
    i += width;
    line++;
    lineStart = i;
  };

  while (i < source.length) {
    const c = source[i]!;
    if (c === "\r") {
      newline(source[i + 1] === "\n" ? 2 : 1);
      continue;
    }
    if (c === "\n") {
      newline(1);
      continue;
    }
    if (c === " " || c === "\t" || c === "\f" || c === "\v" || c === "\u00a0" || c === "\ufeff") {
      i++;
      continue;
    }
    if (c === "/" && source[i + 1] === "/") {
      while (i < source.length && source[i] !== "\n" && source[i] !== "\r") i++;
      continue;
    }
    const pos = here();
    if (isDigit(c) || (c === "." && isDigit(source[i + 1]))) {
      const m = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(source.slice(i, i + 400))!;
      let end = i + m[0].length;
      // `5.hour` is not a field of a number; give the `.` back to the parser.
      let text = m[0];
      if (text.endsWith(".") && isNameStart(source[end])) {
        text = text.slice(0, -1);
        end--;
      }
      if (isNamePart(source[end]) || (source[end] === "." && isDigit(source[end + 1]))) {
        let bad = end;
        while (isNamePart(source[bad]) || source[bad] === ".") bad++;
        throw syntaxError(pos, `invalid number '${source.slice(i, bad)}'`);
      }
      tokens.push({ kind: "number", text, value: Number(text), pos });
      i = end;
      continue;
    }
    if (c === "$" || isNameStart(c)) {
      let end = i + 1;
      if (c === "$" && !isNameStart(source[end])) throw syntaxError(pos, "'$' must be followed by a variable name");
      while (isNamePart(source[end])) end++;
      tokens.push({ kind: "name", text: source.slice(i, end), pos });
      i = end;
      continue;
    }
    if (c === '"') {
      let text = "";
      let j = i + 1;
      for (;;) {
        const d = source[j];
        if (d === undefined || d === "\n" || d === "\r") throw syntaxError(pos, "unterminated string: a string must end with '\"' on the same line");
        if (d === '"') break;
        if (d === "\\" && (source[j + 1] === '"' || source[j + 1] === "\\")) {
          text += source[j + 1];
          j += 2;
          continue;
        }
        text += d;
        j++;
      }
      tokens.push({ kind: "string", text, pos });
      i = j + 1;
      continue;
    }
    const punct = PUNCTUATION.find((p) => source.startsWith(p, i));
    if (punct) {
      tokens.push({ kind: "punct", text: punct, pos });
      i += punct.length;
      continue;
    }
    if (c === "&" || c === "|") throw syntaxError(pos, `unexpected '${c}' (the logical operators are '&&' and '||')`);
    if (c === "'") throw syntaxError(pos, "strings use double quotes, not '");
    throw syntaxError(pos, `unexpected character '${c}'`);
  }
  tokens.push({ kind: "end", text: "", pos: here() });
  return tokens;
}

/** How a token is named in error messages. */
export function describeToken(t: Token): string {
  switch (t.kind) {
    case "end":
      return "the end of the formula";
    case "string":
      return `"${t.text}"`;
    default:
      return `'${t.text}'`;
  }
}
