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

test("dependencies: a task runs only after the tasks it depends on succeeded", async (t) => {
  const entry = (name: string, over: Partial<TaskEntry> = {}): TaskEntry => ({
    key: `ns/${name}`, namespace: "ns", name, id: name, jobKey: "ns/j", resourceVersion: "1",
    created: `2026-01-01T00:00:00Z`, requiredSlots: 1, completed: false, state: "Active", requeueCount: 0, ...over,
  });
  const done = (name: string, result: "Success" | "Failure" = "Success") => entry(name, { completed: true, state: "Completed", result, node: "n1" });
  const cases: Record<string, { tasks: TaskEntry[]; want: string[]; unmet?: [string, string[]] }> = {
    "diamond: B and C wait for A": {
      tasks: [entry("a"), entry("b", { dependsOn: { taskIds: ["a"] } }), entry("c", { dependsOn: { taskIds: ["a"] } })],
      want: ["a"],
      unmet: ["b", ["a"]],
    },
    "diamond: after A, B and C run; D still waits": {
      tasks: [done("a"), entry("b", { dependsOn: { taskIds: ["a"] } }), entry("c", { dependsOn: { taskIds: ["a"] } }), entry("d", { dependsOn: { taskIds: ["b", "c"] } })],
      want: ["b", "c"],
      unmet: ["d", ["b", "c"]],
    },
    "a failed dependency blocks": { tasks: [done("a", "Failure"), entry("b", { dependsOn: { taskIds: ["a"] } })], want: [], unmet: ["b", ["a"]] },
    "a missing dependency waits": { tasks: [entry("b", { dependsOn: { taskIds: ["later"] } })], want: [], unmet: ["b", ["later"]] },
    "a range fan-in runs once all of 1..3 succeeded": {
      tasks: [done("1"), done("2"), done("3"), entry("sum", { dependsOn: { taskIdRanges: [{ start: 1, end: 3 }] } })],
      want: ["sum"],
    },
    "a range with one left waits for it": {
      tasks: [done("1"), entry("2"), done("3"), entry("sum", { dependsOn: { taskIdRanges: [{ start: 1, end: 3 }] } })],
      want: ["2"],
      unmet: ["sum", ["2"]],
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const d = new DispatchState();
      d.upsertPool({ key: "ns/pool", slotsPerNode: 10, fill: "Spread" });
      d.upsertNode({ key: "ns/n1", name: "n1", poolKey: "ns/pool", usable: true });
      d.upsertJob({ key: "ns/j", poolKey: "ns/pool", priority: 0, maxParallelTasks: -1, created: "", schedulable: true });
      for (const x of tc.tasks) d.upsertTask(x);
      assert.deepEqual(d.plan("ns/pool").map((a) => a.task.name).sort(), tc.want);
      if (tc.unmet) {
        assert.deepEqual(d.unmetDependencies(d.tasks.get(`ns/${tc.unmet[0]}`)!), tc.unmet[1]);
        const blocked = d.blockedTasks("ns/pool").find((b) => b.task.name === tc.unmet![0]);
        assert.deepEqual(blocked?.unmet, tc.unmet[1], "listed as blocked");
        assert.deepEqual(blocked?.failed, name === "a failed dependency blocks" ? ["a"] : []);
      }
    });
  }
});
