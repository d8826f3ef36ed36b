// Azure Batch runs a command line without a shell. Here it is split into argv the way a
// POSIX shell splits words — single quotes, double quotes, backslash escapes — but nothing
// is expanded: no variables, globs, pipes or redirections (write `/bin/sh -c "…"` for those).

/** Where splitting stands after `line`: the words so far, the word being built and the quote left open. */
export type SplitState = { words: string[]; word: string; inWord: boolean; quote?: "'" | '"' };

export function splitCommandLine(line: string): string[] {
  const { words, word, inWord, quote } = scanCommandLine(line);
  if (quote) throw new Error(`unterminated ${quote === "'" ? "single" : "double"} quote in command line`);
  if (inWord) words.push(word);
  if (words.length === 0) throw new Error("empty command line");
  return words;
}

/** Splits as far as `line` goes, also mid-word or mid-quote (a template's text before a placeholder). */
export function scanCommandLine(line: string): SplitState {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  return { words, word, inWord, quote };
}
