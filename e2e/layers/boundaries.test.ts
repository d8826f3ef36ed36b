// Fails on an import against the packages' direction (packages.ts), type-only imports
// included: a type is a dependency of the source even where it is erased at run time.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { importsOf, resolveRelative } from "./imports.ts";
import { sourceFiles, violation } from "./packages.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

describe("package boundaries", () => {
  it("the rules say what they should", () => {
    const cases: Record<string, { from: string; to: string; allowed: boolean }> = {
      "api imports nothing of kubatch": { from: "api/task.ts", to: "kube/apply.ts", allowed: false },
      "kube may import api": { from: "kube/objects.ts", to: "api/task.ts", allowed: true },
      "the operator may not import the agent": { from: "operator/src/main.ts", to: "task-runner/src/main.ts", allowed: false },
      "the agent may not import the operator": { from: "task-runner/src/agent/agent.ts", to: "operator/src/dispatch/task-entry.ts", allowed: false },
      "local-cluster may not import the operator": { from: "local-cluster/cli.ts", to: "operator/src/main.ts", allowed: false },
      "cli may use the formula evaluator": { from: "cli/pool-autoscale.ts", to: "operator/src/autoscale/index.ts", allowed: true },
      "but no other operator module": { from: "cli/main.ts", to: "operator/src/dispatch/dispatcher.ts", allowed: false },
      "nothing below imports the tests": { from: "operator/src/main.ts", to: "e2e/tests/support/cluster.ts", allowed: false },
      "package.json is anyone's": { from: "operator/src/config/operator-config.ts", to: "package.json", allowed: true },
      "e2e may import anything": { from: "e2e/tests/pool.test.ts", to: "operator/src/pool/node-deployment.ts", allowed: true },
    };
    for (const [name, tc] of Object.entries(cases)) assert.equal(violation(tc.from, tc.to) === undefined, tc.allowed, name);
  });

  it("no import goes against the direction", () => {
    const problems: string[] = [];
    for (const file of sourceFiles(root)) {
      for (const ref of importsOf(readFileSync(join(root, file), "utf8"))) {
        const target = resolveRelative(file, ref.specifier);
        const why = target && violation(file, target);
        if (why) problems.push(`${file} imports ${ref.specifier}: ${why}`);
      }
    }
    assert.deepEqual(problems, []);
  });
});
