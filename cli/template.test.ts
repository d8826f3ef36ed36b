import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkTemplate, dnsSafeName, placeholdersOf } from "./template.ts";
import { UsageError } from "./usage.ts";

describe("template checks", () => {
  test("placeholders in use", () => assert.deepEqual([...placeholdersOf("a {} {name} ${X} {{y}}", "--command")], ["", "name"]));
  const refused: Record<string, { template: string; available: string[]; message: RegExp }> = {
    "a typo": { template: "ocr {nmae}", available: ["name"], message: /--command: unknown placeholder \{nmae\}/ },
    "blob placeholders with a range": { template: "get {blobUrl}", available: ["item", "index", "name"], message: /\{blobUrl\} is only available with --from-blobs/ },
  };
  for (const [name, tc] of Object.entries(refused)) {
    test(`refuses ${name}`, () => assert.throws(() => checkTemplate(tc.template, "--command", tc.available), (e: Error) => e instanceof UsageError && tc.message.test(e.message)));
  }
});

describe("dnsSafeName", () => {
  const cases: Record<string, { text: string; want: string | RegExp }> = {
    "already safe": { text: "ocr-task-12", want: "ocr-task-12" },
    "upper case, dots and spaces": { text: "OCR_Page 01.png", want: "ocr-page-01-png" },
    "leading and trailing junk": { text: "--a..b--", want: "a-b" },
    "too long keeps a hash": { text: `job-${"x".repeat(80)}-1`, want: /^job-x{50}-[0-9a-f]{8}$/ },
  };
  for (const [name, tc] of Object.entries(cases)) {
    test(name, () => {
      const got = dnsSafeName(tc.text);
      if (typeof tc.want === "string") assert.equal(got, tc.want);
      else assert.match(got, tc.want);
      assert.ok(got.length <= 63);
      assert.match(got, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    });
  }
  test("long names that differ only at the end stay distinct", () => assert.notEqual(dnsSafeName(`${"a".repeat(70)}1`), dnsSafeName(`${"a".repeat(70)}2`)));
  test("a name with nothing usable is refused", () => assert.throws(() => dnsSafeName("..."), /--name-template/));
});
