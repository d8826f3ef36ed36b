import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Pod } from "@kubernetes/client-node";
import { parsePool, type PoolStatus } from "../../../api/pool.ts";
import { poolStatus } from "./pool-status.ts";

const now = new Date("2026-12-07T12:00:00Z");
const runningNode: V1Pod = {
  metadata: { name: "p-dedicated-a", namespace: "ns", labels: { "kubatch.dev/pool": "p" } },
  spec: { nodeName: "n1", containers: [] },
  status: { phase: "Running", containerStatuses: [{ name: "agent", image: "i", imageID: "", ready: true, restartCount: 0, state: { running: {} } }], conditions: [{ type: "Ready", status: "True" }] },
};

test("a node's totalTasksRun and totalTasksSucceeded: the completed tasks the cache holds, never below what the status said (tasks leave the cache after their retentionTime)", async (t) => {
  // [run, succeeded]
  const cases: Record<string, { before?: [number, number]; cached: [number, number]; want: [number, number] }> = {
    "a new node": { cached: [0, 0], want: [0, 0] },
    "tasks completed on it": { before: [3, 3], cached: [5, 4], want: [5, 4] },
    "some of them deleted since": { before: [5, 4], cached: [2, 2], want: [5, 4] },
    "an operator restarted with the tasks still cached": { cached: [7, 6], want: [7, 6] },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const status: PoolStatus | undefined = tc.before === undefined ? undefined : { nodes: [{ name: "p-dedicated-a", state: "Idle", isDedicated: true, runningTasks: 0, runningTaskSlots: 0, totalTasksRun: tc.before[0], totalTasksSucceeded: tc.before[1] }] };
      const parsed = parsePool({ apiVersion: "kubatch.dev/v1alpha1", kind: "Pool", metadata: { name: "p", namespace: "ns", generation: 1 }, spec: { vmSize: "small", targetDedicatedNodes: 1 }, status });
      assert.ok(parsed.ok, parsed.ok ? "" : JSON.stringify(parsed.problems));
      if (!parsed.ok) return;
      const work = new Map([["p-dedicated-a", { runningTasks: 0, runningTaskSlots: 0, totalTasksRun: tc.cached[0], totalTasksSucceeded: tc.cached[1] }]]);
      const out = poolStatus({ pool: parsed.value, pods: [runningNode], work, targets: { dedicated: 1, lowPriority: 0 }, now });
      assert.deepEqual([out.nodes?.[0]?.totalTasksRun, out.nodes?.[0]?.totalTasksSucceeded], tc.want);
    });
  }
});
