// What a command-line template (`kubatch task add --command`, a task collection's
// `task.commandLine`) puts in for a placeholder: the item (a blob name, a file path) as exactly
// one word, whatever characters it holds. A command line is split like a POSIX shell splits
// words (command-line-split.ts), and a quoted part of it is, in practice, a `sh -c` script; so
// the value is quoted for the place it lands in:
// - outside quotes: one argv word;
// - inside quotes ('…' or "…", a script): one word of that script, quoted for where it
//   stands in the script (plain, '…' or "…"), then escaped for the outer quotes.
import { scanCommandLine } from "./command-line-split.ts";

/** Characters that never need quoting (as Python's shlex.quote): numbers and plain names stay readable. */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** A POSIX sh word for `value`: as is when safe, else single-quoted with ' written '\''. */
export function shellWord(value: string): string {
  return SAFE.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** `text` as it must be written inside an open quote of that kind to read back as itself. */
function insideQuote(quote: "'" | '"' | undefined, text: string): string {
  if (quote === "'") return text.replaceAll("'", `'\\''`);
  if (quote === '"') return text.replace(/[\\"$`]/g, "\\$&");
  return text;
}

/** `value` quoted to be one word at the end of `prefix` (the command line so far). */
export function quoteAt(prefix: string, value: string): string {
  const outer = scanCommandLine(prefix);
  if (outer.quote === undefined) return shellWord(value);
  const inScript = scanCommandLine(outer.word).quote;
  return insideQuote(outer.quote, inScript === undefined ? shellWord(value) : insideQuote(inScript, value));
}
