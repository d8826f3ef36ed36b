import assert from "node:assert/strict";
import { test } from "node:test";
import { cniConflist, networkPlan } from "./network.ts";

test("each slot has its own names and addresses, all in the benchmarking block", () => {
  const cases = {
    "slot 1": { slot: 1, netns: "kubatch-1", hostIp: "198.18.1.1", nodeIp: "198.18.1.2", podCidr: "198.19.1.0/24", bridgeIp: "198.19.1.1" },
    "slot 250": { slot: 250, netns: "kubatch-250", hostIp: "198.18.250.1", nodeIp: "198.18.250.2", podCidr: "198.19.250.0/24", bridgeIp: "198.19.250.1" },
  };
  for (const [name, want] of Object.entries(cases)) {
    const got = networkPlan(want.slot);
    assert.deepEqual({ slot: got.slot, netns: got.netns, hostIp: got.hostIp, nodeIp: got.nodeIp, podCidr: got.podCidr, bridgeIp: got.bridgeIp }, want, name);
    // Interface names must fit IFNAMSIZ (15 bytes).
    for (const link of [got.hostLink, got.nodeLink, got.bridge]) assert.ok(link.length <= 15, `${name}: ${link}`);
  }
});

test("slots outside 1..250 are refused", () => {
  for (const slot of [0, 251, 1.5, -1]) assert.throws(() => networkPlan(slot), /not in 1\.\.250/);
});

test("the pods' network has no default route: only the host's link and the Service range", () => {
  const conf = cniConflist(networkPlan(7), "/tmp/ipam") as { plugins: { type: string; isDefaultGateway?: boolean; ipMasq?: boolean; ipam?: { routes: { dst: string }[] } }[] };
  const bridge = conf.plugins.find((p) => p.type === "bridge")!;
  assert.equal(bridge.isDefaultGateway, false);
  assert.equal(bridge.ipMasq, false);
  assert.deepEqual(bridge.ipam!.routes.map((r) => r.dst), ["198.18.7.0/30", "10.0.0.0/24"]);
});
