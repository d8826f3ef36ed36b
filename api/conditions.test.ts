import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { conditionSchema, setCondition, type Condition, type ConditionUpdate } from "./conditions.ts";

const t0 = new Date("2025-01-01T00:00:00Z");
const t1 = new Date("2025-01-01T00:01:00Z");
const ready = (status: "True" | "False", reason = "PoolSteady", message = ""): ConditionUpdate => ({
  type: "Ready",
  status,
  reason,
  message,
  observedGeneration: 1,
});

describe("setCondition", () => {
  it("adds a new condition with lastTransitionTime now", () => {
    assert.deepEqual(setCondition(undefined, ready("True"), t0), [{ ...ready("True"), lastTransitionTime: t0.toISOString() }]);
  });

  it("keeps lastTransitionTime when only the reason or message changes", () => {
    const first = setCondition([], ready("False", "Resizing"), t0);
    const next = setCondition(first, ready("False", "StartTaskFailed", "node p-1"), t1);
    assert.equal(next[0]?.lastTransitionTime, t0.toISOString());
    assert.equal(next[0]?.reason, "StartTaskFailed");
  });

  it("moves lastTransitionTime when the status flips", () => {
    const first = setCondition([], ready("False"), t0);
    assert.equal(setCondition(first, ready("True"), t1)[0]?.lastTransitionTime, t1.toISOString());
  });

  it("returns the same array when nothing changed (no status write needed)", () => {
    const first = setCondition([], ready("True"), t0);
    assert.equal(setCondition(first, ready("True"), t1), first);
  });

  it("leaves other conditions alone", () => {
    const both = setCondition(setCondition([], ready("True"), t0), { type: "Degraded", status: "False", reason: "AsExpected", message: "", observedGeneration: 1 }, t0);
    assert.deepEqual(
      both.map((c) => c.type),
      ["Ready", "Degraded"],
    );
  });
});

describe("conditionSchema", () => {
  const cases: Record<string, { condition: unknown; ok: boolean }> = {
    valid: { condition: { type: "Ready", status: "True", reason: "AsExpected", message: "", lastTransitionTime: t0.toISOString() }, ok: true },
    "unknown status": { condition: { type: "Ready", status: "Yes", reason: "A", message: "", lastTransitionTime: t0.toISOString() }, ok: false },
    "reason with spaces": { condition: { type: "Ready", status: "True", reason: "Not ok", message: "", lastTransitionTime: t0.toISOString() }, ok: false },
    "no lastTransitionTime": { condition: { type: "Ready", status: "True", reason: "A", message: "" }, ok: false },
  };
  for (const [name, tc] of Object.entries(cases)) {
    it(name, () => assert.equal(conditionSchema.safeParse(tc.condition).success, tc.ok));
  }
});
