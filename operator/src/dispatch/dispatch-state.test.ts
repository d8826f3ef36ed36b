import assert from "node:assert/strict";
import { test } from "node:test";
import { DispatchState, type TaskEntry } from "./dispatch-state.ts";

type Setup = {
  slots?: number;
  fill?: "Spread" | "Pack";
  nodes: { name: string; usable?: boolean; lowPriority?: boolean }[];
  jobs: { name: string; priority?: number; maxParallel?: number; schedulable?: boolean }[];
  tasks: { name: string; job: string; slots?: number; node?: string; completed?: boolean; affinity?: string; pod?: boolean; state?: TaskEntry["state"]; dedicatedOnly?: boolean; result?: "Success" | "Failure" }[];
};

function state(s: Setup): DispatchState {
  const d = new DispatchState();
  d.upsertPool({ key: "ns/pool", slotsPerNode: s.slots ?? 1, fill: s.fill ?? "Spread" });
  for (const n of s.nodes) d.upsertNode({ key: `ns/${n.name}`, name: n.name, poolKey: "ns/pool", usable: n.usable ?? true, lowPriority: n.lowPriority });
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
      state: t.state ?? (t.completed ? "Completed" : "Active"),
      requeueCount: 0,
      affinityNode: t.affinity,
      runsInPod: t.pod,
      dedicatedOnly: t.dedicatedOnly,
      result: t.result,
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

test("tasksToRelease lists unfinished tasks of nodes that are gone, and tasks given back where the job's preparation failed", () => {
  const d = state({
    nodes: [{ name: "n1" }],
    jobs: [{ name: "j" }],
    tasks: [{ name: "a", job: "j", node: "n1" }, { name: "b", job: "j", node: "gone" }, { name: "c", job: "j", node: "gone", completed: true }, { name: "p", job: "j", node: "n1" }],
  });
  const names = () => d.tasksToRelease("ns/pool").map((r) => `${r.task.name}:${r.why}`).sort();
  assert.deepEqual(names(), ["b:NodeGone"]);
  d.upsertTask({ ...d.tasks.get("ns/p")!, prepFailedNodes: ["n0", "n1"] });
  assert.deepEqual(names(), ["b:NodeGone", "p:PreparationFailed"]);
  d.upsertTask({ ...d.tasks.get("ns/p")!, node: undefined });
  assert.deepEqual(names(), ["b:NodeGone"], "released: pending again");
  d.deleteNode("ns/n1");
  assert.deepEqual(names(), ["a:NodeGone", "b:NodeGone"]);
});

test("dependencies: a task runs only after its dependencies completed and let it run", async (t) => {
  const entry = (name: string, over: Partial<TaskEntry> = {}): TaskEntry => ({
    key: `ns/${name}`, namespace: "ns", name, id: name, jobKey: "ns/j", resourceVersion: "1",
    created: `2026-01-01T00:00:00Z`, requiredSlots: 1, completed: false, state: "Active", requeueCount: 0, ...over,
  });
  const done = (name: string, result: "Success" | "Failure" = "Success", dependencyAction: "Satisfy" | "Block" = result === "Success" ? "Satisfy" : "Block") =>
    entry(name, { completed: true, state: "Completed", result, node: "n1", dependencyAction });
  const on = (name: string, ...ids: string[]) => entry(name, { dependsOn: { taskIds: ids } });
  type Case = { tasks: TaskEntry[]; want: string[]; blocked?: [task: string, reason: string, says: string]; noDependencies?: boolean };
  const cases: Record<string, Case> = {
    "diamond: B and C wait for A": { tasks: [entry("a"), on("b", "a"), on("c", "a")], want: ["a"], blocked: ["b", "DependenciesNotMet", "to complete: a"] },
    "diamond: after A, B and C run; D still waits": {
      tasks: [done("a"), on("b", "a"), on("c", "a"), on("d", "b", "c")],
      want: ["b", "c"],
      blocked: ["d", "DependenciesNotMet", "to complete: b, c"],
    },
    "a failed dependency (Block) blocks and says which": { tasks: [done("a", "Failure"), on("b", "a")], want: [], blocked: ["b", "DependencyFailed", "dependency a did not succeed"] },
    "a failed dependency with dependencyAction Satisfy lets it run": { tasks: [done("a", "Failure", "Satisfy"), on("b", "a")], want: ["b"] },
    "a success with dependencyAction Block blocks": { tasks: [done("a", "Success", "Block"), on("b", "a")], want: [], blocked: ["b", "DependencyFailed", "dependency a did not succeed"] },
    "a missing dependency is reported and waited for": { tasks: [on("b", "later")], want: [], blocked: ["b", "DependencyMissing", "do not exist in job j: later"] },
    "a cycle is reported on each of its tasks": { tasks: [on("x", "y"), on("y", "z"), on("z", "x"), entry("free")], want: ["free"], blocked: ["y", "DependencyCycle", "x, y, z"] },
    "a job without usesTaskDependencies refuses dependsOn": {
      tasks: [done("a"), on("b", "a")],
      want: [],
      noDependencies: true,
      blocked: ["b", "DependenciesNotEnabled", "usesTaskDependencies"],
    },
    "a range fan-in runs once all of 1..3 succeeded": {
      tasks: [done("1"), done("2"), done("3"), entry("sum", { dependsOn: { taskIdRanges: [{ start: 1, end: 3 }] } })],
      want: ["sum"],
    },
    "a range with one left waits for it": {
      tasks: [done("1"), entry("2"), done("3"), entry("sum", { dependsOn: { taskIdRanges: [{ start: 1, end: 3 }] } })],
      want: ["2"],
      blocked: ["sum", "DependenciesNotMet", "1..3"],
    },
    // Ranges are walked over the tasks that exist: a range over every int32 id costs three tasks, not 2^31 ids.
    "a range over every int32 id names the first ids that do not exist": {
      tasks: [done("1"), done("2"), done("4"), entry("sum", { dependsOn: { taskIdRanges: [{ start: 1, end: 2147483647 }] } })],
      want: [],
      blocked: ["sum", "DependencyMissing", "do not exist in job j: 3, 5, 6, 7"],
    },
    "a range only counts canonical integer ids (not 07)": {
      tasks: [done("07"), entry("sum", { dependsOn: { taskIdRanges: [{ start: 7, end: 7 }] } })],
      want: [],
      blocked: ["sum", "DependencyMissing", "do not exist in job j: 7"],
    },
    "a task inside its own huge range is a cycle": {
      tasks: [entry("5", { dependsOn: { taskIdRanges: [{ start: 0, end: 2147483647 }] } }), entry("free")],
      want: ["free"],
      blocked: ["5", "DependencyCycle", "among tasks 5"],
    },
    "a cycle through two ranges": {
      tasks: [entry("1", { dependsOn: { taskIdRanges: [{ start: 2, end: 1000000 }] } }), entry("2", { dependsOn: { taskIdRanges: [{ start: 0, end: 1 }] } })],
      want: [],
      blocked: ["2", "DependencyCycle", "among tasks 1, 2"],
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const d = new DispatchState();
      d.upsertPool({ key: "ns/pool", slotsPerNode: 10, fill: "Spread" });
      d.upsertNode({ key: "ns/n1", name: "n1", poolKey: "ns/pool", usable: true });
      d.upsertJob({ key: "ns/j", poolKey: "ns/pool", priority: 0, maxParallelTasks: -1, created: "", schedulable: true, usesTaskDependencies: !tc.noDependencies });
      for (const x of tc.tasks) d.upsertTask(x);
      assert.deepEqual(d.plan("ns/pool").map((a) => a.task.name).sort(), tc.want);
      const blocked = d.blockedTasks("ns/pool");
      if (tc.blocked) {
        const [task, reason, says] = tc.blocked;
        const b = blocked.find((x) => x.task.name === task);
        assert.equal(b?.reason, reason);
        assert.ok(b?.message.includes(says), `${b?.message} mentions ${says}`);
      }
      for (const b of blocked) assert.ok(!tc.want.includes(b.task.name), `${b.task.name} is planned, not blocked`);
    });
  }
});

test("a cycle found once is forgotten when the job's tasks change", () => {
  const d = new DispatchState();
  d.upsertPool({ key: "ns/pool", slotsPerNode: 10, fill: "Spread" });
  d.upsertJob({ key: "ns/j", poolKey: "ns/pool", priority: 0, maxParallelTasks: -1, created: "", schedulable: true, usesTaskDependencies: true });
  const task = (name: string, dep: string): TaskEntry => ({
    key: `ns/${name}`, namespace: "ns", name, id: name, jobKey: "ns/j", resourceVersion: "1", created: "", requiredSlots: 1, completed: false, state: "Active", requeueCount: 0,
    dependsOn: { taskIds: [dep] },
  });
  d.upsertTask(task("a", "b"));
  d.upsertTask(task("b", "a"));
  assert.equal(d.blockReason(d.tasks.get("ns/a")!)?.reason, "DependencyCycle");
  d.upsertTask(task("b", "c"));
  assert.equal(d.blockReason(d.tasks.get("ns/a")!)?.reason, "DependenciesNotMet");
  assert.equal(d.blockReason(d.tasks.get("ns/b")!)?.reason, "DependencyMissing");
});

for (const [how, failed] of Object.entries({
  "given back by its agent (still assigned there)": { node: "n1", prepFailedNodes: ["n1"] },
  "given back, since assigned elsewhere": { node: "n2", prepFailedNodes: ["n1"], state: "Running" as const },
  "completed as JobPreparationTaskFailed by an older agent": { completed: true, state: "Completed" as const, result: "Failure" as const, node: "n1", reportedNode: "n1", failureCode: "JobPreparationTaskFailed" },
})) {
  test(`a node where the job's preparation task failed gets no more of that job's tasks: a task ${how}`, () => {
    const d = new DispatchState();
    d.upsertPool({ key: "ns/pool", slotsPerNode: 4, fill: "Spread" });
    for (const n of ["n1", "n2"]) d.upsertNode({ key: `ns/${n}`, name: n, poolKey: "ns/pool", usable: true });
    for (const j of ["j", "other"]) d.upsertJob({ key: `ns/${j}`, poolKey: "ns/pool", priority: 0, maxParallelTasks: -1, created: "", schedulable: true });
    const task = (name: string, job: string, over: Partial<TaskEntry> = {}): TaskEntry => ({
      key: `ns/${name}`, namespace: "ns", name, jobKey: `ns/${job}`, resourceVersion: "1", created: name, requiredSlots: 1, completed: false, state: "Active", requeueCount: 0, ...over,
    });
    d.upsertTask(task("failed", "j", failed));
    for (const name of ["a", "b", "c"]) d.upsertTask(task(name, "j", name === "c" ? { affinityNode: "n1" } : {}));
    d.upsertTask(task("x", "other"));
    const plan = d.plan("ns/pool").map((a) => `${a.task.name}→${a.node}`).sort();
    const room = failed.node === "n2" ? 3 : 4;
    assert.deepEqual(plan.filter((p) => !p.startsWith("x")), ["a→n2", "b→n2", "c→n2"].slice(0, room), "even its affinity to n1 is not honoured");
    assert.equal(plan.filter((p) => p.startsWith("x")).length, 1, "another job may still use n1");
    d.deleteTask("ns/failed");
    assert.ok(d.plan("ns/pool").some((a) => a.node === "n1" && a.task.jobKey === "ns/j"), "the node is usable again once that task is gone (e.g. deleted)");
  });
}

test("when the preparation failed on every node, the job's waiting tasks say so", () => {
  const d = new DispatchState();
  d.upsertPool({ key: "ns/pool", slotsPerNode: 1, fill: "Spread" });
  d.upsertNode({ key: "ns/n1", name: "n1", poolKey: "ns/pool", usable: true });
  d.upsertJob({ key: "ns/j", poolKey: "ns/pool", priority: 0, maxParallelTasks: -1, created: "", schedulable: true });
  const base = { namespace: "ns", jobKey: "ns/j", resourceVersion: "1", created: "", requiredSlots: 1, requeueCount: 0 };
  d.upsertTask({ ...base, key: "ns/f", name: "f", completed: false, state: "Active", prepFailedNodes: ["n1"] });
  d.upsertTask({ ...base, key: "ns/w", name: "w", completed: false, state: "Active" });
  assert.deepEqual(d.plan("ns/pool"), []);
  const [blocked] = d.blockedTasks("ns/pool");
  assert.equal(blocked?.reason, "JobPreparationTaskFailed");
  assert.match(blocked?.message ?? "", /failed on every node of the pool \(n1\)/);
  d.upsertNode({ key: "ns/n2", name: "n2", poolKey: "ns/pool", usable: true });
  assert.deepEqual(d.blockedTasks("ns/pool"), [], "a new node may take them");
  assert.deepEqual(d.plan("ns/pool").map((a) => `${a.task.name}→${a.node}`), ["f→n2"], "the given-back task first (created first)");
});

test("a cycle through a container task is found too", () => {
  const d = new DispatchState();
  d.upsertJob({ key: "ns/j", poolKey: "ns/pool", priority: 0, maxParallelTasks: -1, created: "", schedulable: true, usesTaskDependencies: true });
  const task = (name: string, dep: string, runsInPod = false): TaskEntry => ({
    key: `ns/${name}`, namespace: "ns", name, id: name, jobKey: "ns/j", resourceVersion: "1", created: "", requiredSlots: 1, completed: false, state: "Active", requeueCount: 0,
    dependsOn: { taskIds: [dep] }, runsInPod,
  });
  d.upsertTask(task("node-task", "pod-task"));
  d.upsertTask(task("pod-task", "node-task", true));
  assert.equal(d.blockReason(d.tasks.get("ns/node-task")!)?.reason, "DependencyCycle");
  assert.equal(d.blockReason(d.tasks.get("ns/pod-task")!)?.reason, "DependencyCycle");
});

test("a collection's chunks: their items in the job's counts, each chunk one slot lane, kept when requeued", async (t) => {
  const chunk = (name: string, over: Partial<TaskEntry> & { items: Omit<NonNullable<TaskEntry["chunk"]>, "collection"> }): TaskEntry => ({
    key: `CollectionChunk:ns/${name}`,
    namespace: "ns",
    name,
    jobKey: "ns/j",
    resourceVersion: "1",
    created: "2026-01-01T00:02:00Z",
    requiredSlots: 1,
    completed: false,
    state: "Active",
    requeueCount: 0,
    ...over,
    chunk: { ...over.items, collection: "ns/c" },
  });
  const cases: Record<string, { chunks: TaskEntry[]; counts: Record<string, number>; planned: number }> = {
    "waiting chunks: every item active, one assignment per chunk": {
      chunks: [chunk("c0", { items: { count: 100, done: 0, succeeded: 0, failed: 0 } }), chunk("c1", { items: { count: 50, done: 0, succeeded: 0, failed: 0 } })],
      counts: { active: 150, running: 0, succeeded: 0, failed: 0, total: 150 },
      planned: 2,
    },
    "a running chunk: one item running, its done items counted": {
      chunks: [chunk("c0", { node: "n1", state: "Running", items: { count: 100, done: 40, succeeded: 38, failed: 2 } })],
      counts: { active: 59, running: 1, succeeded: 38, failed: 2, total: 100, assigned: 1, inFlight: 1 },
      planned: 0,
    },
    "a requeued chunk (its node lost): its done items stay counted, the rest wait": {
      chunks: [chunk("c0", { state: "Active", requeueCount: 1, items: { count: 100, done: 40, succeeded: 40, failed: 0 } })],
      counts: { active: 60, running: 0, succeeded: 40, failed: 0, total: 100 },
      planned: 1,
    },
    "completed chunks": {
      chunks: [chunk("c0", { completed: true, state: "Completed", items: { count: 10, done: 10, succeeded: 9, failed: 1 } })],
      counts: { active: 0, running: 0, succeeded: 9, failed: 1, total: 10 },
      planned: 0,
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const d = state({ slots: 2, nodes: [{ name: "n1" }, { name: "n2" }], jobs: [{ name: "j" }], tasks: [] });
      for (const c of tc.chunks) d.upsertTask(c);
      const counts = d.countsOfJob("ns/j");
      for (const [field, want] of Object.entries(tc.counts)) assert.equal(counts[field as keyof typeof counts], want, field);
      assert.equal(d.plan("ns/pool").length, tc.planned);
      // Not in the id index: no task depends on a chunk by its name.
      assert.deepEqual(d.tasksOfJob("ns/j"), []);
      assert.equal(d.pendingCount("ns/pool"), tc.chunks.filter((c) => !c.node && !c.completed).reduce((n, c) => n + c.chunk!.count - c.chunk!.done, 0));
    });
  }
});

test("a job's collections not cut into all their chunks yet are counted (the job is not all done while they are)", async (t) => {
  const chunk = (collection: string, n: number): TaskEntry => ({
    key: `CollectionChunk:ns/${collection}-c${n}`, namespace: "ns", name: `${collection}-c${n}`, jobKey: "ns/j", resourceVersion: "1", created: "", requiredSlots: 1,
    completed: true, state: "Completed", requeueCount: 0, chunk: { count: 10, done: 10, succeeded: 10, failed: 0, collection: `ns/${collection}` },
  });
  const cases: Record<string, { collections: { name: string; chunkCount?: number; job?: string }[]; chunks: [string, number][]; uncut: number | undefined }> = {
    "no collections": { collections: [], chunks: [], uncut: undefined },
    "being listed (no chunkCount yet)": { collections: [{ name: "a" }], chunks: [], uncut: 1 },
    "cut, but a chunk not cached yet": { collections: [{ name: "a", chunkCount: 2 }], chunks: [["a", 0]], uncut: 1 },
    "every chunk here": { collections: [{ name: "a", chunkCount: 2 }], chunks: [["a", 0], ["a", 1]], uncut: undefined },
    "an empty container: no chunks to wait for": { collections: [{ name: "a", chunkCount: 0 }], chunks: [], uncut: undefined },
    "another job's collection does not count": { collections: [{ name: "a", chunkCount: 1 }, { name: "b", job: "other" }], chunks: [["a", 0]], uncut: undefined },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const d = state({ slots: 1, nodes: [], jobs: [{ name: "j" }], tasks: [] });
      for (const c of tc.collections) d.upsertCollection({ key: `ns/${c.name}`, jobKey: `ns/${c.job ?? "j"}`, ...(c.chunkCount !== undefined ? { chunkCount: c.chunkCount } : {}) });
      for (const [c, n] of tc.chunks) d.upsertTask(chunk(c, n));
      assert.equal(d.countsOfJob("ns/j").uncutCollections, tc.uncut);
    });
  }
  await t.test("a chunk or a collection deleted", () => {
    const d = state({ slots: 1, nodes: [], jobs: [{ name: "j" }], tasks: [] });
    d.upsertCollection({ key: "ns/a", jobKey: "ns/j", chunkCount: 1 });
    d.upsertTask(chunk("a", 0));
    d.upsertTask(chunk("a", 0));
    assert.equal(d.countsOfJob("ns/j").uncutCollections, undefined, "an update is not a second chunk");
    d.deleteTask("CollectionChunk:ns/a-c0");
    assert.equal(d.countsOfJob("ns/j").uncutCollections, 1);
    d.deleteCollection("ns/a");
    assert.equal(d.countsOfJob("ns/j").uncutCollections, undefined);
  });
});

test("dependencies on a collection's items: by item id in taskIds, or a collection's items (all, or start..end) in taskCollections", async (t) => {
  // Collection "sweep" (items sweep-0 … sweep-29) in three chunks of 10.
  // A chunk of `predecessor` is owned by a collection of the same name deleted since (another uid).
  type Chunk = { start: number; done: number; failed?: number[]; notListed?: number; predecessor?: boolean };
  const chunk = (c: Chunk): TaskEntry => ({
    key: `CollectionChunk:ns/sweep-c${c.start / 10}`, namespace: "ns", name: `sweep-c${c.start / 10}`, jobKey: "ns/j", resourceVersion: "1", created: "", requiredSlots: 1,
    completed: c.done === 10, state: c.done === 10 ? "Completed" : c.done > 0 ? "Running" : "Active", requeueCount: 0,
    chunk: { start: c.start, count: 10, done: c.done, succeeded: c.done - (c.failed?.length ?? 0) - (c.notListed ?? 0), failed: (c.failed?.length ?? 0) + (c.notListed ?? 0), ...(c.failed ? { failures: c.failed.map((index) => ({ index, id: `sweep-${index}`, exitCode: 1 })) } : {}), ...(c.notListed ? { failuresNotListed: c.notListed } : {}), collection: "ns/sweep", collectionUid: c.predecessor ? "uid-0" : "uid-1" },
  });
  const done = (start: number): Chunk => ({ start, done: 10 });
  const cases: Record<string, { dependsOn: NonNullable<TaskEntry["dependsOn"]>; chunks: Chunk[]; chunkCount?: number; want: string | undefined }> = {
    "an item done: runs": { dependsOn: { taskIds: ["sweep-3"] }, chunks: [{ start: 0, done: 4 }], want: undefined },
    "an item not done yet: waits": { dependsOn: { taskIds: ["sweep-4"] }, chunks: [{ start: 0, done: 4 }], want: "DependenciesNotMet" },
    "an item that failed: blocked": { dependsOn: { taskIds: ["sweep-2"] }, chunks: [{ start: 0, done: 4, failed: [2] }], want: "DependencyFailed" },
    "another item failed: runs": { dependsOn: { taskIds: ["sweep-3"] }, chunks: [{ start: 0, done: 4, failed: [2] }], want: undefined },
    "an item past the last: missing": { dependsOn: { taskIds: ["sweep-30"] }, chunks: [done(0), done(10), done(20)], want: "DependencyMissing" },
    "an item whose chunk is not here yet: waits": { dependsOn: { taskIds: ["sweep-25"] }, chunks: [done(0)], want: "DependenciesNotMet" },
    "an item of a collection not cut yet: waits": { dependsOn: { taskIds: ["sweep-25"] }, chunks: [done(0)], chunkCount: undefined, want: "DependenciesNotMet" },
    "the whole collection done: runs": { dependsOn: { taskCollections: [{ name: "sweep" }] }, chunks: [done(0), done(10), done(20)], want: undefined },
    "the whole collection, a chunk not cached yet: waits": { dependsOn: { taskCollections: [{ name: "sweep" }] }, chunks: [done(0), done(10)], want: "DependenciesNotMet" },
    "the whole collection, not cut yet (listing): waits": { dependsOn: { taskCollections: [{ name: "sweep" }] }, chunks: [done(0)], chunkCount: undefined, want: "DependenciesNotMet" },
    "items 5..14 done, the rest running: runs": { dependsOn: { taskCollections: [{ name: "sweep", start: 5, end: 14 }] }, chunks: [done(0), { start: 10, done: 5 }, { start: 20, done: 0 }], want: undefined },
    "items 5..15, item 15 not done: waits": { dependsOn: { taskCollections: [{ name: "sweep", start: 5, end: 15 }] }, chunks: [done(0), { start: 10, done: 5 }, { start: 20, done: 0 }], want: "DependenciesNotMet" },
    "items 10..19, a failure at 4 outside: runs": { dependsOn: { taskCollections: [{ name: "sweep", start: 10, end: 19 }] }, chunks: [{ start: 0, done: 10, failed: [4] }, done(10), done(20)], want: undefined },
    "a chunk with failures it does not list, overlapping: blocked (one may be in the range)": {
      dependsOn: { taskCollections: [{ name: "sweep", start: 5, end: 6 }] },
      chunks: [{ start: 0, done: 10, notListed: 1 }, done(10), done(20)],
      want: "DependencyFailed",
    },
    "items from 25 on: runs when they are done": { dependsOn: { taskCollections: [{ name: "sweep", start: 25 }] }, chunks: [{ start: 0, done: 0 }, { start: 10, done: 0 }, done(20)], want: undefined },
    "items from 30 on (past the last), cut whole: missing": { dependsOn: { taskCollections: [{ name: "sweep", start: 30 }] }, chunks: [done(0), done(10), done(20)], want: "DependencyMissing" },
    "items from 30 on, not cut yet: waits": { dependsOn: { taskCollections: [{ name: "sweep", start: 30 }] }, chunks: [done(0)], chunkCount: undefined, want: "DependenciesNotMet" },
    "a predecessor's chunks (same name, deleted) count for nothing: waits": {
      dependsOn: { taskCollections: [{ name: "sweep" }] },
      chunks: [done(0), { ...done(10), predecessor: true }, { ...done(20), predecessor: true }],
      want: "DependenciesNotMet",
    },
    "a collection that does not exist: missing": { dependsOn: { taskCollections: [{ name: "other" }] }, chunks: [done(0), done(10), done(20)], want: "DependencyMissing" },
    "an id like an item of no collection: a missing task": { dependsOn: { taskIds: ["other-3"] }, chunks: [done(0)], want: "DependencyMissing" },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const d = state({ slots: 1, nodes: [{ name: "n1" }], jobs: [], tasks: [] });
      d.upsertJob({ key: "ns/j", poolKey: "ns/pool", priority: 0, maxParallelTasks: -1, created: "", schedulable: true, usesTaskDependencies: true });
      d.upsertCollection({ key: "ns/sweep", uid: "uid-1", jobKey: "ns/j", idPrefix: "sweep", ...("chunkCount" in tc ? (tc.chunkCount === undefined ? {} : { chunkCount: tc.chunkCount }) : { chunkCount: 3 }) });
      for (const c of tc.chunks) d.upsertTask(chunk(c));
      const merge: TaskEntry = { key: "ns/merge", namespace: "ns", name: "merge", id: "merge", jobKey: "ns/j", resourceVersion: "1", created: "", requiredSlots: 1, completed: false, state: "Active", requeueCount: 0, dependsOn: tc.dependsOn };
      d.upsertTask(merge);
      assert.equal(d.blockReason(merge)?.reason, tc.want, d.blockReason(merge)?.message);
    });
  }
});

test("poolQueue: what a pool's autoscale formula samples as active and running tasks", async (t) => {
  const nodes = [{ name: "n1" }];
  const cases: Record<string, { setup: Setup; want: { active: number; running: number } }> = {
    "waiting and assigned tasks": {
      setup: { nodes, jobs: [{ name: "j" }], tasks: [{ name: "a", job: "j" }, { name: "b", job: "j" }, { name: "r", job: "j", node: "n1", state: "Running" }, { name: "d", job: "j", completed: true }] },
      want: { active: 2, running: 1 },
    },
    "container tasks count, waiting or running in their own Pods": {
      setup: {
        nodes,
        jobs: [{ name: "j" }],
        tasks: [{ name: "c1", job: "j", pod: true }, { name: "c2", job: "j", pod: true, state: "Running" }, { name: "c3", job: "j", pod: true, state: "Preparing" }, { name: "c4", job: "j", pod: true, completed: true }],
      },
      want: { active: 1, running: 2 },
    },
    "a job that is not schedulable has no active tasks, its running ones still run": {
      setup: { nodes, jobs: [{ name: "off", schedulable: false }], tasks: [{ name: "a", job: "off" }, { name: "c", job: "off", pod: true }, { name: "p", job: "off", pod: true, state: "Running" }] },
      want: { active: 0, running: 1 },
    },
    "an empty pool": { setup: { nodes, jobs: [], tasks: [] }, want: { active: 0, running: 0 } },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => assert.deepEqual(state(tc.setup).poolQueue("ns/pool"), tc.want));
  }
});

test("tasksRunOnNode: the tasks and collection items seen completing on a node, and those that succeeded", async (t) => {
  const chunk = (name: string, node: string | undefined, done: number, completed = false): TaskEntry => ({
    key: `CollectionChunk:ns/${name}`, namespace: "ns", name, jobKey: "ns/j", resourceVersion: "1", created: "", requiredSlots: 1,
    completed, state: completed ? "Completed" : node ? "Running" : "Active", requeueCount: 0, node,
    chunk: { collection: "ns/c", count: 100, done, succeeded: done - 1, failed: 1 },
  });
  const cases: Record<string, { setup: Setup; chunks?: TaskEntry[]; remove?: string[]; want: Record<string, { run: number; succeeded: number }> }> = {
    "completed tasks count on their node, running and waiting ones do not": {
      setup: {
        nodes: [{ name: "n1" }, { name: "n2" }],
        jobs: [{ name: "j" }],
        tasks: [{ name: "a", job: "j", node: "n1", completed: true, result: "Success" }, { name: "b", job: "j", node: "n1", completed: true, result: "Failure" }, { name: "r", job: "j", node: "n2", state: "Running" }, { name: "w", job: "j" }],
      },
      want: { "ns/n1": { run: 2, succeeded: 1 }, "ns/n2": { run: 0, succeeded: 0 } },
    },
    "a chunk requeued from n1 with 40 done, then 30 more on n2: each node its own": {
      setup: { nodes: [{ name: "n1" }, { name: "n2" }], jobs: [{ name: "j" }], tasks: [] },
      chunks: [chunk("c0", "n1", 40), chunk("c0", undefined, 40), chunk("c0", "n2", 40), chunk("c0", "n2", 70)],
      want: { "ns/n1": { run: 40, succeeded: 39 }, "ns/n2": { run: 30, succeeded: 30 } },
    },
    "a chunk's finished items, running or completed": {
      setup: { nodes: [{ name: "n1" }, { name: "n2" }], jobs: [{ name: "j" }], tasks: [] },
      chunks: [chunk("c0", "n1", 40), chunk("c1", "n2", 100, true), chunk("c2", undefined, 10)],
      want: { "ns/n1": { run: 40, succeeded: 39 }, "ns/n2": { run: 100, succeeded: 99 } },
    },
    "a task deleted after it completed (retentionTime) still counts": {
      setup: { nodes: [{ name: "n1" }], jobs: [{ name: "j" }], tasks: [{ name: "a", job: "j", node: "n1", completed: true, result: "Success" }, { name: "b", job: "j", node: "n1", completed: true, result: "Success" }] },
      remove: ["ns/b"],
      want: { "ns/n1": { run: 2, succeeded: 2 } },
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const d = state(tc.setup);
      for (const c of tc.chunks ?? []) d.upsertTask(c);
      // An update of the same entry is not counted twice.
      for (const key of new Set((tc.chunks ?? []).map((c) => c.key))) d.upsertTask({ ...d.tasks.get(key)!, resourceVersion: "2" });
      for (const k of tc.setup.tasks.filter((x) => x.completed)) d.upsertTask({ ...d.tasks.get(`ns/${k.name}`)!, resourceVersion: "2" });
      for (const key of tc.remove ?? []) d.deleteTask(key);
      for (const [node, want] of Object.entries(tc.want)) assert.deepEqual(d.tasksRunOnNode(node), want, node);
    });
  }
});

test("a task for dedicated nodes only (a job manager with allowLowPriorityNode false) never goes to a low-priority node", async (t) => {
  const cases: Record<string, { setup: Setup; want: string[]; blocked: string[] }> = {
    "a dedicated node has room: it goes there, others may use the low-priority one": {
      setup: { nodes: [{ name: "low", lowPriority: true }, { name: "ded" }], jobs: [{ name: "j" }], tasks: [{ name: "jm", job: "j", dedicatedOnly: true }, { name: "t", job: "j" }] },
      want: ["jm→ded", "t→low"],
      blocked: [],
    },
    "its affinity names a low-priority node: not there": {
      setup: { nodes: [{ name: "low", lowPriority: true }, { name: "ded" }], jobs: [{ name: "j" }], tasks: [{ name: "jm", job: "j", dedicatedOnly: true, affinity: "low" }] },
      want: ["jm→ded"],
      blocked: [],
    },
    "only low-priority nodes: it waits, saying why; ordinary tasks run": {
      setup: { nodes: [{ name: "low", lowPriority: true }], jobs: [{ name: "j" }], tasks: [{ name: "jm", job: "j", dedicatedOnly: true }, { name: "t", job: "j" }] },
      want: ["t→low"],
      blocked: ["jm NoDedicatedNode"],
    },
    "its dedicated node is busy: it waits for a slot there (no reason to give)": {
      setup: { nodes: [{ name: "low", lowPriority: true }, { name: "ded" }], jobs: [{ name: "j" }], tasks: [{ name: "r", job: "j", node: "ded", state: "Running" }, { name: "jm", job: "j", dedicatedOnly: true }] },
      want: [],
      blocked: [],
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const d = state(tc.setup);
      assert.deepEqual(d.plan("ns/pool").map((a) => `${a.task.name}→${a.node}`), tc.want);
      assert.deepEqual(d.blockedTasks("ns/pool").map((b) => `${b.task.name} ${b.reason}`), tc.blocked);
    });
  }
});

test("a node's recent tasks: each task once, newest first, at most 5; not collection items; gone with the node", () => {
  const state = new DispatchState();
  const base = { namespace: "ns", jobKey: "ns/j", resourceVersion: "1", created: "", requiredSlots: 1, requeueCount: 0 } as const;
  const task = (name: string, s: Partial<TaskEntry>) => state.upsertTask({ ...base, key: `ns/${name}`, name, id: name, completed: s.state === "Completed", state: "Active", ...s });
  task("t0", { node: "n1" });
  assert.deepEqual(state.recentTasksOnNode("ns/n1"), [], "assigned, not started: no change of state there yet");
  task("t0", { node: "n1", state: "Running" });
  task("t0", { node: "n1", state: "Completed", exitCode: 3, result: "Failure" });
  assert.deepEqual(state.recentTasksOnNode("ns/n1"), [{ jobId: "j", taskId: "t0", taskState: "Completed", exitCode: 3, result: "Failure" }]);
  for (let i = 1; i <= 5; i++) task(`t${i}`, { node: "n1", state: "Running" });
  assert.deepEqual(state.recentTasksOnNode("ns/n1").map((r) => `${r.taskId} ${r.taskState}`), ["t5 Running", "t4 Running", "t3 Running", "t2 Running", "t1 Running"]);
  task("c-0", { node: "n1", state: "Running", chunk: { collection: "c", collectionUid: "u", start: 0, count: 10, done: 0, succeeded: 0 } as TaskEntry["chunk"] });
  assert.equal(state.recentTasksOnNode("ns/n1")[0]!.taskId, "t5", "a chunk is not a task");
  state.deleteNode("ns/n1");
  assert.deepEqual(state.recentTasksOnNode("ns/n1"), []);
});
