import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { splitCommandLine } from "./command-line-split.ts";
import { quoteAt, shellWord } from "./shell-quote.ts";
import { expandTemplate } from "./template.ts";

const dir = mkdtempSync(join(tmpdir(), "kubatch-quote-"));
const pwned = join(dir, "pwned");
test.after(() => rmSync(dir, { recursive: true, force: true }));

// Blob names and file paths as users have them, and as an attacker would write them.
const values: Record<string, string> = {
  plain: "scans/page-0001.png",
  space: "my scans/page 1.png",
  "single quote": "it's.png",
  "double quote": 'say "hi".png',
  "command substitution": `$(touch ${pwned})`,
  backticks: `\`touch ${pwned}\``,
  semicolon: `a.png; touch ${pwned}`,
  newline: `a.png\ntouch ${pwned}`,
  "variable and glob": "$HOME/*.png",
  backslash: "back\\slash\\\\n.png",
  "leading dash": "-n",
  "everything at once": `'"\\$\`;|&<>(){}[]* \t\n!#~`,
};

// How each template uses the placeholder; `want` is what the command receives for value v.
const templates: Record<string, { command: string; want: (v: string) => string }> = {
  "no shell: one argv word": { command: "printf %s {}", want: (v) => v },
  "sh -c '…'": { command: "/bin/sh -c 'printf %s {}'", want: (v) => v },
  'sh -c "…"': { command: '/bin/sh -c "printf %s {}"', want: (v) => v },
  "inside a word of the script": { command: "/bin/sh -c 'printf %s in/{}.txt'", want: (v) => `in/${v}.txt` },
  'the script double-quotes it: sh -c "… \\"{}\\""': { command: '/bin/sh -c "printf %s \\"{}\\""', want: (v) => v },
  "the script single-quotes it: sh -c \"… '{}'\"": { command: `/bin/sh -c "printf %s '{}'"`, want: (v) => v },
  "sh -c '… \"{}\"'": { command: `/bin/sh -c 'printf %s "{}"'`, want: (v) => v },
  "two placeholders": { command: "/bin/sh -c 'printf %s {} {index}'", want: (v) => `${v}7` },
};

test("a substituted item is one word wherever it lands in --command", async (t) => {
  for (const [tname, tc] of Object.entries(templates)) {
    for (const [vname, value] of Object.entries(values)) {
      await t.test(`${tname}, ${vname}`, () => {
        const line = expandTemplate(tc.command, { item: value, index: 7, name: value }, quoteAt);
        const argv = splitCommandLine(line);
        if (argv[0] === "printf") return assert.deepEqual(argv, ["printf", "%s", value]);
        // The operator's argv, run by a real POSIX shell: prints the value, runs nothing else.
        const out = execFileSync(argv[0]!, argv.slice(1), { encoding: "utf8", env: { HOME: "/home/x", PATH: process.env.PATH } });
        assert.equal(out, tc.want(value));
        assert.equal(existsSync(pwned), false, "nothing in the value ran");
      });
    }
  }
});

test("shellWord leaves safe words alone and single-quotes the rest", async (t) => {
  const cases: Record<string, [string, string]> = {
    number: ["42", "42"],
    path: ["in/page-1.png", "in/page-1.png"],
    space: ["a b", "'a b'"],
    quote: ["it's", `'it'\\''s'`],
    dollar: ["$x", "'$x'"],
    empty: ["", "''"],
  };
  for (const [name, [value, want]] of Object.entries(cases)) await t.test(name, () => assert.equal(shellWord(value), want));
});
