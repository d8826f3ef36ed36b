import assert from "node:assert/strict";
import { test } from "node:test";
import { splitCommandLine } from "./command-line-split.ts";

test("splitCommandLine splits words like a shell without expanding anything", async (t) => {
  const cases: Record<string, { line: string; want?: string[]; error?: RegExp }> = {
    "plain words": { line: "  python3 ocr.py  image.png ", want: ["python3", "ocr.py", "image.png"] },
    "sh -c with a double-quoted script": { line: `/bin/sh -c "cp -r \\"$X\\" . && echo ok"`, want: ["/bin/sh", "-c", 'cp -r "$X" . && echo ok'] },
    "single quotes keep everything": { line: `echo 'a "b" $c \\n'`, want: ["echo", 'a "b" $c \\n'] },
    "variables and globs are not expanded": { line: "echo $HOME *.png", want: ["echo", "$HOME", "*.png"] },
    "adjacent quoted parts join": { line: `a"b c"'d'`, want: ["ab cd"] },
    "empty quotes are an argument": { line: `cmd "" x`, want: ["cmd", "", "x"] },
    "backslash escapes a space": { line: "ls my\\ file", want: ["ls", "my file"] },
    "unterminated quote": { line: `echo "oops`, error: /unterminated double quote/ },
    "empty": { line: "   ", error: /empty command line/ },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      if (tc.error) assert.throws(() => splitCommandLine(tc.line), tc.error);
      else assert.deepEqual(splitCommandLine(tc.line), tc.want);
    });
  }
});
