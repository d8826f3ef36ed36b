import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { checkCrds, writeCrds } from "./main.ts";

describe("crds/", () => {
  it("matches what the zod schemas generate (run `node api/crd-gen/main.ts` to update)", () => {
    assert.deepEqual(checkCrds(), []);
  });

  it("--check reports a drifted file with a diff", () => {
    const dir = mkdtempSync(join(tmpdir(), "kubatch-crds-"));
    try {
      writeCrds(dir);
      assert.deepEqual(checkCrds(dir), []);
      const file = join(dir, "pools.kubatch.dev.yaml");
      writeFileSync(file, readFileSync(file, "utf8").replace("maximum: 256", "maximum: 512"));
      writeFileSync(join(dir, "old.kubatch.dev.yaml"), "");
      const problems = checkCrds(dir);
      assert.equal(problems.length, 2);
      assert.match(problems[0]!, /^crds\/pools\.kubatch\.dev\.yaml: differs/);
      assert.match(problems[0]!, /^-\s+maximum: 512$/m);
      assert.match(problems[0]!, /^\+\s+maximum: 256$/m);
      assert.match(problems[1]!, /old\.kubatch\.dev\.yaml: not generated/);
      rmSync(file);
      assert.match(checkCrds(dir)[0]!, /pools\.kubatch\.dev\.yaml: missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
