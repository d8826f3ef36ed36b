import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { V1PolicyRule } from "@kubernetes/client-node";
import { nodeRbac, nodeRules, uploadRbac } from "./node-rbac.ts";

/** `verb resource[/names]` for each grant, so a table reads like `kubectl auth can-i`. */
const grants = (rules: V1PolicyRule[]) =>
  rules.flatMap((r) => r.resources!.flatMap((res) => r.verbs.map((v) => `${v} ${res}${r.resourceNames ? `/${r.resourceNames.join(",")}` : ""}`))).sort();

describe("node agents' rules", () => {
  const read = ["jobs", "tasks", "taskcollections", "collectionchunks"].flatMap((r) => ["get", "list", "watch"].map((v) => `${v} ${r}`));
  const writeStatus = ["tasks/status", "collectionchunks/status"].flatMap((r) => ["get", "patch", "update"].map((v) => `${v} ${r}`));
  const always = ["create events", "patch events", ...read, ...writeStatus].sort();
  const cases: Record<string, { secrets: string[]; want: string[] }> = {
    // An empty resourceNames would grant every Secret: no rule at all instead.
    "no Secret named: none readable": { secrets: [], want: always },
    "the named Secrets only": { secrets: ["blob-sas", "storage"], want: [...always, "get secrets/blob-sas,storage"].sort() },
  };
  for (const [name, tc] of Object.entries(cases)) {
    it(name, () => {
      assert.deepEqual(grants(nodeRules(tc.secrets)), tc.want);
      for (const r of nodeRules(tc.secrets)) assert.ok(!r.resources!.some((res) => res.startsWith("pods")), "no Pods, no logs");
    });
  }

  it("patch pods only where the node-pod-annotation policy narrows it to the start-task-info annotation of its own pod", () => {
    assert.deepEqual(grants(nodeRules([], { podAnnotation: true })), [...always, "patch pods"].sort());
    for (const r of nodeRules([], { podAnnotation: true })) if (r.resources!.some((res) => res.startsWith("pods"))) assert.deepEqual([r.resources, r.verbs], [["pods"], ["patch"]], "no reading of Pods, no logs");
  });

  it("the ServiceAccount, Role and RoleBinding are named kubatch-node and bound to each other", () => {
    const [sa, role, binding] = nodeRbac("ns", ["storage"]);
    assert.deepEqual([sa.metadata?.name, role.metadata?.name, binding.metadata?.name], ["kubatch-node", "kubatch-node", "kubatch-node"]);
    assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "kubatch-node" });
    assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "kubatch-node", namespace: "ns" }]);
  });
});

describe("container tasks' upload identity", () => {
  it("reads Pods and their logs, nothing else", () => {
    const [sa, role, binding] = uploadRbac("ns");
    assert.equal(sa.metadata?.name, "kubatch-upload");
    assert.deepEqual(grants(role.rules!), ["get pods", "get pods/log", "watch pods"]);
    assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "kubatch-upload", namespace: "ns" }]);
  });
});
