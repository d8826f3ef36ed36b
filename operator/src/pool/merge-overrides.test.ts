import assert from "node:assert/strict";
import { test } from "node:test";
import { mergeOverrides } from "./merge-overrides.ts";

test("mergeOverrides merges objects, named lists by name, and replaces the rest", async (t) => {
  const base = {
    metadata: { labels: { a: "1" } },
    spec: {
      containers: [{ name: "agent", image: "x", env: [{ name: "A", value: "1" }] }],
      tolerations: [{ key: "k1" }],
      terminationGracePeriodSeconds: 30,
    },
  };
  const cases: Record<string, { overrides: unknown; want: unknown }> = {
    "nothing": { overrides: undefined, want: base },
    "labels merge": { overrides: { metadata: { labels: { b: "2" } } }, want: { ...base, metadata: { labels: { a: "1", b: "2" } } } },
    "container merged by name, env appended": {
      overrides: { spec: { containers: [{ name: "agent", env: [{ name: "B", value: "2" }] }] } },
      want: { ...base, spec: { ...base.spec, containers: [{ name: "agent", image: "x", env: [{ name: "A", value: "1" }, { name: "B", value: "2" }] }] } },
    },
    "a new sidecar is added": {
      overrides: { spec: { containers: [{ name: "sidecar", image: "y" }] } },
      want: { ...base, spec: { ...base.spec, containers: [...base.spec.containers, { name: "sidecar", image: "y" }] } },
    },
    "unnamed lists and scalars are replaced": {
      overrides: { spec: { tolerations: [{ key: "k2" }], terminationGracePeriodSeconds: 5 } },
      want: { ...base, spec: { ...base.spec, tolerations: [{ key: "k2" }], terminationGracePeriodSeconds: 5 } },
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => assert.deepEqual(mergeOverrides(base, tc.overrides), tc.want));
  }
});
