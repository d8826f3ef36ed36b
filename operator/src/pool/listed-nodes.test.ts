import assert from "node:assert/strict";
import { test } from "node:test";
import type { NodeState } from "../../../api/pool.ts";
import { listedNodes } from "./listed-nodes.ts";
import type { NodeInfo } from "./node-state.ts";

const node = (name: string, state: NodeState = "Idle"): NodeInfo => ({ name, state, isDedicated: true });
const idle = (n: number, prefix = "n") => Array.from({ length: n }, (_, i) => node(`${prefix}${String(i).padStart(3, "0")}`));

test("listedNodes: at most a page of nodes, those worth looking at first, listed by name", async (t) => {
  const cases: Record<string, { nodes: NodeInfo[]; max?: number; want: { names: string[]; notListed: number } }> = {
    "no nodes: none listed": { nodes: [], want: { names: [], notListed: 0 } },
    "within the page: every node, by name": { nodes: [node("b"), node("a", "Running"), node("c", "StartTaskFailed")], want: { names: ["a", "b", "c"], notListed: 0 } },
    "exactly the page: every node": { nodes: idle(3), max: 3, want: { names: ["n000", "n001", "n002"], notListed: 0 } },
    "all idle beyond the page: the first by name": { nodes: idle(5), max: 3, want: { names: ["n000", "n001", "n002"], notListed: 2 } },
    "nodes that cannot run come first, then starting or leaving, then running, then idle": {
      nodes: [node("a"), node("b", "Running"), node("c", "LeavingPool"), node("d", "Unusable"), node("e", "Starting"), node("f", "StartTaskFailed"), node("g", "Running")],
      max: 4,
      want: { names: ["c", "d", "e", "f"], notListed: 3 },
    },
    "running before idle, by name within each": {
      nodes: [node("a"), node("z", "Running"), node("m", "Running"), node("b")],
      max: 3,
      want: { names: ["a", "m", "z"], notListed: 1 },
    },
    "creating and waiting for the start task count as on their way in": {
      nodes: [node("a", "Running"), node("b", "Creating"), node("c", "WaitingForStartTask")],
      max: 2,
      want: { names: ["b", "c"], notListed: 1 },
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const listed = listedNodes(tc.nodes, tc.max);
      assert.deepEqual(listed.nodes.map((n) => n.name), tc.want.names);
      assert.equal(listed.notListed, tc.want.notListed);
    });
  }
});

test("listedNodes lists 100 by default, whatever the pool's size, and the same ones each time", () => {
  const nodes = [...idle(6_000), node("zz-broken", "Unusable")];
  const listed = listedNodes(nodes);
  assert.equal(listed.nodes.length, 100);
  assert.equal(listed.notListed, 5_901);
  assert.equal(listed.nodes.at(-1)!.name, "zz-broken");
  assert.deepEqual(listedNodes([...nodes].reverse()).nodes, listed.nodes);
});
