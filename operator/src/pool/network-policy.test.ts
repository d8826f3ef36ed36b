import assert from "node:assert/strict";
import { test } from "node:test";
import { dumpYaml, loadYaml } from "@kubernetes/client-node";
import { parsePool, type Pool } from "../../../api/pool.ts";
import { networkPolicyName, nodeNetworkPolicy } from "./network-policy.ts";

function pool(name: string, spec: Record<string, unknown> = {}): Pool & { apiVersion: string; kind: string } {
  const r = parsePool({ apiVersion: "kubatch.dev/v1alpha1", kind: "Pool", metadata: { name, namespace: "ns", uid: `uid-${name}` }, spec: { vmSize: "small", targetDedicatedNodes: 1, ...spec } });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  return r.value as Pool & { apiVersion: string; kind: string };
}

test("a pool's NetworkPolicy: ingress from the pool's own nodes and to the health port, egress open", () => {
  const cases = {
    "dedicated nodes only": { pool: pool("ocr") },
    "dedicated and low-priority nodes: one policy for both": { pool: pool("mixed", { targetLowPriorityNodes: 2 }) },
    "a pool with its own image and podTemplate": { pool: pool("custom", { image: "example.org/python:3.12", podTemplate: { metadata: { labels: { team: "a" } } } }) },
  };
  for (const [name, tc] of Object.entries(cases)) {
    const p = tc.pool;
    const np = nodeNetworkPolicy(p);
    const nodes = { matchLabels: { "kubatch.dev/pool": p.metadata.name } };
    assert.equal(np.metadata?.name, `${p.metadata.name}-nodes`, name);
    assert.equal(np.metadata?.name, networkPolicyName(p.metadata.name), name);
    assert.equal(np.metadata?.namespace, "ns", name);
    assert.deepEqual(np.metadata?.ownerReferences, [{ apiVersion: "kubatch.dev/v1alpha1", kind: "Pool", name: p.metadata.name, uid: `uid-${p.metadata.name}`, controller: true, blockOwnerDeletion: true }], name);
    assert.equal(np.metadata?.labels?.["kubatch.dev/pool"], p.metadata.name, `${name}: found by the operator's informer and mapped to its pool`);
    assert.deepEqual(np.spec?.podSelector, nodes, `${name}: every node pod of the pool, of either type`);
    assert.deepEqual(np.spec?.policyTypes, ["Ingress"], `${name}: egress not restricted`);
    assert.equal(np.spec?.egress, undefined, name);
    assert.deepEqual(np.spec?.ingress, [{ _from: [{ podSelector: nodes }] }, { ports: [{ port: "health", protocol: "TCP" }] }], name);
  }
});

test("the policy reaches the API server with its rules (client-node's serializer, as the apply sends it)", () => {
  const wire = dumpYaml(nodeNetworkPolicy(pool("ocr")));
  assert.match(wire, /ingress:\n {4}- from:\n {8}- podSelector:\n {12}matchLabels:\n {14}kubatch\.dev\/pool: ocr\n/);
  assert.doesNotMatch(wire, /_from/);
  assert.deepEqual(loadYaml<{ spec: { ingress: unknown[] } }>(wire).spec.ingress.length, 2);
});

test("the spec hash follows the policy, not the pool's other fields", () => {
  const hash = (p: Pool & { apiVersion: string; kind: string }) => nodeNetworkPolicy(p).metadata?.annotations?.["kubatch.dev/spec-hash"];
  assert.ok(hash(pool("a")));
  assert.equal(hash(pool("a")), hash(pool("a", { targetDedicatedNodes: 5, vmSize: "large" })), "resizing writes no policy");
  assert.notEqual(hash(pool("a")), hash(pool("b")));
});
