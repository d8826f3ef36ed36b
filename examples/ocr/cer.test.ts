import assert from "node:assert/strict";
import { test } from "node:test";
import { characterErrorRate, levenshtein, normalizeText, totalCharacterErrorRate } from "./cer.ts";

test("normalizeText collapses whitespace and keeps case", async (t) => {
  const cases: Record<string, { text: string; want: string }> = {
    "already normal": { text: "Hello World.", want: "Hello World." },
    "newlines and tabs": { text: "  Hello\n\tWorld.\n", want: "Hello World." },
    "case kept": { text: "ABC abc", want: "ABC abc" },
    "only whitespace": { text: " \n ", want: "" },
  };
  for (const [name, tc] of Object.entries(cases)) await t.test(name, () => assert.equal(normalizeText(tc.text), tc.want));
});

test("levenshtein counts insertions, deletions and substitutions", async (t) => {
  const cases: Record<string, { a: string; b: string; want: number }> = {
    "equal": { a: "kubatch", b: "kubatch", want: 0 },
    "both empty": { a: "", b: "", want: 0 },
    "from empty": { a: "", b: "abc", want: 3 },
    "to empty": { a: "abc", b: "", want: 3 },
    "one substitution": { a: "Fack", b: "Pack", want: 1 },
    "one insertion": { a: "readin", b: "read in", want: 1 },
    "kitten/sitting": { a: "kitten", b: "sitting", want: 3 },
    "case counts": { a: "kubernetes", b: "Kubernetes", want: 1 },
    "code points, not UTF-16 units": { a: "a😀b", b: "ab", want: 1 },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      assert.equal(levenshtein(tc.a, tc.b), tc.want);
      assert.equal(levenshtein(tc.b, tc.a), tc.want, "symmetric");
    });
  }
});

test("characterErrorRate is edits over expected length after normalizing", async (t) => {
  const cases: Record<string, { recognised: string; expected: string; want: number }> = {
    "perfect": { recognised: "Pack my box.", expected: "Pack my box.", want: 0 },
    "whitespace differences are free": { recognised: "Pack  my\nbox.\n", expected: "Pack my box.", want: 0 },
    "one wrong of ten": { recognised: "abcdefghiX", expected: "abcdefghij", want: 0.1 },
    "case matters": { recognised: "pack", expected: "Pack", want: 0.25 },
    "nothing recognised": { recognised: "", expected: "abcd", want: 1 },
    "more edits than characters": { recognised: "xxxxxxxx", expected: "ab", want: 4 },
    "empty expected, empty recognised": { recognised: " ", expected: "", want: 0 },
    "empty expected, something recognised": { recognised: "noise", expected: "", want: 1 },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => assert.equal(characterErrorRate(tc.recognised, tc.expected), tc.want));
  }
});

test("totalCharacterErrorRate weighs pages by their length", () => {
  const pages = [
    { recognised: "abcdefghiX", expected: "abcdefghij" },
    { recognised: "", expected: "klmnopqrst" },
  ];
  assert.equal(totalCharacterErrorRate(pages), 11 / 20);
  assert.equal(totalCharacterErrorRate([]), 0);
});
