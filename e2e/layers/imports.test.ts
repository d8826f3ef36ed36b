import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { importsOf, packageOf, type ImportRef } from "./imports.ts";

describe("importsOf", () => {
  const cases: Record<string, { source: string; want: ImportRef[] }> = {
    "named import": { source: 'import { a } from "./a.ts";', want: [{ specifier: "./a.ts", typeOnly: false }] },
    "several lines, default and namespace": {
      source: 'import x, {\n  b,\n  type C,\n} from "../b.ts";\nimport * as ns from "node:fs";',
      want: [{ specifier: "../b.ts", typeOnly: false }, { specifier: "node:fs", typeOnly: false }],
    },
    "type-only import and re-export": {
      source: 'import type { T } from "./t.ts";\nexport type { U } from "./u.ts";',
      want: [{ specifier: "./t.ts", typeOnly: true }, { specifier: "./u.ts", typeOnly: true }],
    },
    "re-export and side-effect import": {
      source: 'export * from "./all.ts";\nexport { x } from "./x.ts";\nimport "./side.ts";',
      want: [{ specifier: "./all.ts", typeOnly: false }, { specifier: "./x.ts", typeOnly: false }, { specifier: "./side.ts", typeOnly: false }],
    },
    "JSON import with attributes": { source: 'import pkg from "../package.json" with { type: "json" };', want: [{ specifier: "../package.json", typeOnly: false }] },
    "dynamic import and require.resolve": {
      source: 'const m = await import("./lazy.ts");\nconst p = require.resolve("@scope/data/package.json");',
      want: [{ specifier: "./lazy.ts", typeOnly: false }, { specifier: "@scope/data/package.json", typeOnly: false }],
    },
    "commented-out imports do not count": { source: '// import { a } from "./a.ts";\n/* import("./b.ts") */\nconst s = "x";', want: [] },
    "strings and regular expressions that look like imports": {
      source: ["const help = `run import(\"./not.ts\")`;", "const re = /[\"']/g;", 'import { c } from "./c.ts";'].join("\n"),
      want: [{ specifier: "./c.ts", typeOnly: false }],
    },
    "an exported value is no import": { source: 'export const from = "./nope.ts";', want: [] },
  };
  for (const [name, tc] of Object.entries(cases)) it(name, () => assert.deepEqual(importsOf(tc.source), tc.want));
});

describe("packageOf", () => {
  const cases: Record<string, { specifier: string; want: string | undefined }> = {
    "plain package": { specifier: "zod", want: "zod" },
    "scoped package, deep path": { specifier: "@azure/storage-blob/dist/x.js", want: "@azure/storage-blob" },
    "node: builtin": { specifier: "node:fs", want: undefined },
    "bare builtin": { specifier: "crypto", want: undefined },
    relative: { specifier: "./a.ts", want: undefined },
  };
  for (const [name, tc] of Object.entries(cases)) it(name, () => assert.equal(packageOf(tc.specifier), tc.want));
});
