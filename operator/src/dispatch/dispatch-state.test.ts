import assert from "node:assert/strict";
import { test } from "node:test";
import { DispatchState, type TaskEntry } from "./dispatch-state.ts";

type Setup = {
  slots?: number;
  fill?: "Spread" | "Pack";
  nodes: { name: string; usable?: boolean }[];
  jobs: { name: string; priority?: number; maxParallel?: number; schedulable?: boolean }[];
  tasks: { name: string; job: string; slots?: number; node?: string; completed?: boolean; affinity?: string }[];
};

function state(s: Setup): DispatchState {
  const d = new DispatchState();
  d.upsertPool({ key: "ns/pool", slotsPerNode: s.slots ?? 1, fill: s.fill ?? "Spread" });
  for (const n of s.nodes) d.upsertNode({ key: `ns/${n.name}`, name: n.name, poolKey: "ns/pool", usable: n.usable ?? true });
  s.jobs.forEach((j, i) =>
    d.upsertJob({ key: `ns/${j.name}`, poolKey: "ns/pool", priority: j.priority ?? 0, maxParallelTasks: j.maxParallel ?? -1, created: `2026-01-01T00:00:0${i}Z`, schedulable: j.schedulable ?? true }),
  );
  s.tasks.forEach((t, i) => {
    const entry: TaskEntry = {
      key: `ns/${t.name}`,
      namespace: "ns",
      name: t.name,
      jobKey: `ns/${t.job}`,
      resourceVersion: "1",
      created: `2026-01-01T00:01:${String(i).padStart(2, "0")}Z`,
      requiredSlots: t.slots ?? 1,
      node: t.node,
      completed: t.completed ?? false,
      state: t.completed ? "Completed" : "Active",
      requeueCount: 0,
      affinityNode: t.affinity,
    };
    d.upsertTask(entry);
  });
  return d;
}

test("plan assigns pending tasks to free slots", async (t) => {
  const cases: Record<string, { setup: Setup; want: string[] }> = {
    "spread over nodes, in creation order": {
      setup: { slots: 2, nodes: [{ name: "n1" }, { name: "n2" }], jobs: [{ name: "j" }], tasks: [{ name: "t1", job: "j" }, { name: "t2", job: "j" }, { name: "t3", job: "j" }] },
      want: ["t1→n1", "t2→n2", "t3→n1"],
    },
    "pack fills a node first": {
      setup: { slots: 2, fill: "Pack", nodes: [{ name: "n1" }, { name: "n2" }], jobs: [{ name: "j" }], tasks: [{ name: "t1", job: "j" }, { name: "t2", job: "j" }, { name: "t3", job: "j" }] },
      want: ["t1→n1", "t2→n1", "t3→n2"],
    },
    "higher priority jobs first": {
      setup: { nodes: [{ name: "n1" }], jobs: [{ name: "low", priority: -5 }, { name: "high", priority: 100 }], tasks: [{ name: "a", job: "low" }, { name: "b", job: "high" }] },
      want: ["b→n1"],
    },
    "busy slots are not reused; completed tasks free theirs": {
      setup: {
        slots: 1,
        nodes: [{ name: "n1" }, { name: "n2" }],
        jobs: [{ name: "j" }],
        tasks: [{ name: "running", job: "j", node: "n1" }, { name: "done", job: "j", node: "n2", completed: true }, { name: "t", job: "j" }, { name: "u", job: "j" }],
      },
      want: ["t→n2"],
    },
    "maxParallelTasks counts tasks already running": {
      setup: { slots: 4, nodes: [{ name: "n1" }], jobs: [{ name: "j", maxParallel: 2 }], tasks: [{ name: "r", job: "j", node: "n1" }, { name: "t1", job: "j" }, { name: "t2", job: "j" }] },
      want: ["t1→n1"],
    },
    "requiredSlots must fit on one node; smaller tasks behind may still run": {
      setup: { slots: 2, nodes: [{ name: "n1" }], jobs: [{ name: "j" }], tasks: [{ name: "r", job: "j", node: "n1" }, { name: "big", job: "j", slots: 2 }, { name: "small", job: "j" }] },
      want: ["small→n1"],
    },
    "unusable nodes and unschedulable jobs get nothing": {
      setup: { nodes: [{ name: "n1", usable: false }, { name: "n2" }], jobs: [{ name: "off", schedulable: false }, { name: "on" }], tasks: [{ name: "a", job: "off" }, { name: "b", job: "on" }] },
      want: ["b→n2"],
    },
    "affinity wins when the node has room": {
      setup: { slots: 2, nodes: [{ name: "n1" }, { name: "n2" }], jobs: [{ name: "j" }], tasks: [{ name: "t", job: "j", affinity: "n2" }] },
      want: ["t→n2"],
    },
    "tasks of unknown jobs wait": {
      setup: { nodes: [{ name: "n1" }], jobs: [], tasks: [{ name: "t", job: "missing" }] },
      want: [],
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const plan = state(tc.setup).plan("ns/pool");
      assert.deepEqual(plan.map((a) => `${a.task.name}→${a.node}`), tc.want);
    });
  }
});

test("an assignment is counted at once, so a second plan does not reuse the slot", () => {
  const d = state({ nodes: [{ name: "n1" }], jobs: [{ name: "j" }], tasks: [{ name: "t1", job: "j" }, { name: "t2", job: "j" }] });
  const [first] = d.plan("ns/pool");
  d.upsertTask({ ...first!.task, node: first!.node });
  assert.deepEqual(d.plan("ns/pool"), []);
  d.upsertTask({ ...d.tasks.get("ns/t1")!, completed: true });
  assert.deepEqual(d.plan("ns/pool").map((a) => a.task.name), ["t2"]);
});

test("orphanedTasks lists unfinished tasks of nodes that are gone", () => {
  const d = state({ nodes: [{ name: "n1" }], jobs: [{ name: "j" }], tasks: [{ name: "a", job: "j", node: "n1" }, { name: "b", job: "j", node: "gone" }, { name: "c", job: "j", node: "gone", completed: true }] });
  assert.deepEqual(d.orphanedTasks("ns/pool").map((t) => t.name), ["b"]);
  d.deleteNode("ns/n1");
  assert.deepEqual(d.orphanedTasks("ns/pool").map((t) => t.name).sort(), ["a", "b"]);
});
