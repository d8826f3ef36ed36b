import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { blobPlaceholderCheck, celFails, celFormFails, knownPlaceholdersRule, unknownPlaceholderCheck, usesBlobPlaceholder } from "./template-rules.ts";
import { scanTemplate } from "./template.ts";

// Every string of up to `n` pieces: braces, dollars, known and unknown words, a space.
function* strings(pieces: readonly string[], n: number): Generator<string> {
  yield "";
  if (n === 0) return;
  for (const rest of strings(pieces, n - 1)) for (const p of pieces) yield p + rest;
}
const pieces = ["{", "}", "$", "item", "blobUrl", "nm", " ", "#"];

describe("the CEL form of the template checks agrees with the scanner", () => {
  test("unknown placeholders (every string of up to 6 pieces)", () => {
    let n = 0;
    for (const s of strings(pieces, 6)) {
      n++;
      assert.equal(celFormFails(unknownPlaceholderCheck(), s), scanTemplate(s).unknown.length > 0, JSON.stringify(s));
    }
    assert.ok(n > 250_000);
  });
  test("with only some placeholders allowed (up to 5 pieces)", () => {
    for (const s of strings(pieces, 5)) {
      assert.equal(celFormFails(unknownPlaceholderCheck(["", "item"]), s), scanTemplate(s).unknown.length > 0 || scanTemplate(s).used.has("blobUrl"), JSON.stringify(s));
    }
  });
  test("blob placeholders (up to 5 pieces)", () => {
    for (const s of strings(pieces, 5)) assert.equal(celFormFails(blobPlaceholderCheck, s), usesBlobPlaceholder(s), JSON.stringify(s));
  });
});

describe("the CEL text", () => {
  test("rewrites, then searches for a {word} left", () => {
    assert.equal(
      celFails(unknownPlaceholderCheck(["", "item"]), "self.commandLine"),
      "self.commandLine.replace('{{', '##').replace('${', '$#').replace('{}', '#').replace('{item}', '#').matches('\\\\{[A-Za-z_]*\\\\}')",
    );
    assert.equal(celFails(blobPlaceholderCheck, "e.value"), "e.value.replace('{{', '##').replace('${', '$#').contains('{blobUrl}') || e.value.replace('{{', '##').replace('${', '$#').contains('{blobName}')");
  });
  test("a rule guards an absent field and reports at it", () => {
    const r = knownPlaceholdersRule<{ path?: string }>("destination.container.path", (o) => o.path);
    assert.match(r.rule, /^!has\(self\.destination\.container\.path\) \|\| !\(self\.destination\.container\.path\.replace/);
    assert.equal(r.fieldPath, ".destination.container.path");
    assert.equal(r.holds({}), true);
    assert.equal(r.holds({ path: "out/{index}" }), true);
    assert.equal(r.holds({ path: "out/{idx}" }), false);
  });
});
