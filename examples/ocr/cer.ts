// Character error rate: the Levenshtein distance between recognised and expected text,
// divided by the expected text's length, after collapsing whitespace (case is kept).

/** Collapses every run of whitespace (spaces, tabs, newlines) to one space and trims. */
export function normalizeText(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** Fewest single-character insertions, deletions and substitutions turning a into b (by code point). */
export function levenshtein(a: string, b: string): number {
  const s = [...a];
  const t = [...b];
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    for (let j = 1; j <= t.length; j++) {
      const substitution = previous[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[t.length]!;
}

/**
 * CER of recognised text against the expected text, both normalized: 0 is a perfect match,
 * 1 means as many edits as expected characters (it can exceed 1). Empty expected text gives
 * 0 when nothing was recognised and 1 otherwise.
 */
export function characterErrorRate(recognised: string, expected: string): number {
  const want = normalizeText(expected);
  const got = normalizeText(recognised);
  const length = [...want].length;
  if (length === 0) return got.length === 0 ? 0 : 1;
  return levenshtein(got, want) / length;
}

/** Overall CER of several pages: total edits over total expected characters. */
export function totalCharacterErrorRate(pages: { recognised: string; expected: string }[]): number {
  let edits = 0;
  let length = 0;
  for (const { recognised, expected } of pages) {
    const want = normalizeText(expected);
    edits += levenshtein(normalizeText(recognised), want);
    length += [...want].length;
  }
  return length === 0 ? 0 : edits / length;
}
