import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluateFormula } from "../autoscale/index.ts";
import { autoScaleRunWrite } from "./autoscale-run.ts";

test("autoScaleRunWrite: what one evaluation writes into the pool's status", async (t) => {
  const at = "2026-12-01T00:00:00.000Z";
  type Case = { formula: string; targets?: [number, number]; error?: { code: string; says: RegExp } };
  const cases: Record<string, Case> = {
    "targets within the pool limit, no error": { formula: "$TargetDedicatedNodes = 3;", targets: [3, 0] },
    "10^9 nodes: the pool limit is applied and the run says why": {
      formula: "$TargetDedicatedNodes = 1000000000;",
      targets: [10000, 0],
      error: { code: "AutoScaleTargetTooLarge", says: /\$TargetDedicatedNodes = 1000000000 is more than a pool may have \(10000 nodes\): the pool is sized to 10000/ },
    },
    "both targets too large are both named": {
      formula: "$TargetDedicatedNodes = 20000; $TargetLowPriorityNodes = 30000;",
      targets: [10000, 10000],
      error: { code: "AutoScaleTargetTooLarge", says: /\$TargetDedicatedNodes = 20000 .*; \$TargetLowPriorityNodes = 30000 / },
    },
    "a failed evaluation keeps the last targets (none written)": { formula: "$TargetDedicatedNodes = nope;", error: { code: "AutoScalingFormulaSyntaxError", says: /syntax error/ } },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const w = autoScaleRunWrite(evaluateFormula(tc.formula, {}), at);
      assert.equal(w.autoScaleRun.timestamp, at);
      assert.deepEqual([w.targetDedicatedNodes, w.targetLowPriorityNodes], tc.targets ?? [undefined, undefined]);
      assert.equal(w.autoScaleRun.error?.code, tc.error?.code);
      if (tc.error) assert.match(w.autoScaleRun.error!.message, tc.error.says);
    });
  }
});
