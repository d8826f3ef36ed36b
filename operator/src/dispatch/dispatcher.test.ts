import assert from "node:assert/strict";
import { test } from "node:test";
import type { Condition } from "../../../api/conditions.ts";
import { nodeDeallocated, taskEnded } from "../../../api/failure-codes.ts";
import { assignmentAnnotation, nodeLabel, type SchedulingDisableOption } from "../../../api/labels.ts";
import { assertWrites, fakeApi, FakeClock, type Failure, type WantWrite } from "../controller/reconcile-harness.ts";
import { DispatchState, type TaskEntry } from "./dispatch-state.ts";
import { makeDispatcher } from "./dispatcher.ts";
import type { Outcome } from "../controller/work-queue.ts";

const poolKey = "ns/pool";

type Setup = {
  nodes: string[];
  /** Nodes whose scheduling is disabled, with the option. */
  disabled?: Record<string, SchedulingDisableOption>;
  jobs?: { name: string; usesTaskDependencies?: boolean; uid?: string }[];
  tasks: (Partial<TaskEntry> & { name: string })[];
};

function stateOf(s: Setup): DispatchState {
  const state = new DispatchState();
  state.upsertPool({ key: poolKey, slotsPerNode: 2, fill: "Spread" });
  for (const name of s.nodes) state.upsertNode({ key: `ns/${name}`, name, poolKey, usable: !s.disabled?.[name], schedulingDisabled: s.disabled?.[name] });
  for (const j of s.jobs ?? [{ name: "j" }]) {
    state.upsertJob({ key: `ns/${j.name}`, poolKey, priority: 0, maxParallelTasks: -1, created: "2026-01-01T00:00:00Z", schedulable: true, usesTaskDependencies: j.usesTaskDependencies, ...(j.uid ? { uid: j.uid } : {}) });
  }
  s.tasks.forEach((t, i) =>
    state.upsertTask({ key: `ns/${t.name}`, namespace: "ns", jobKey: "ns/j", resourceVersion: "1", created: `2026-01-01T00:01:0${i}Z`, requiredSlots: 1, completed: false, state: "Active", requeueCount: 0, ...t }),
  );
  return state;
}

const assign = (name: string, node: string): WantWrite => ({ verb: "patch", kind: "Task", name, body: { metadata: { resourceVersion: "1", labels: { [nodeLabel]: node } } } });
const explained = (name: string, condition: object, resourceVersion = "1"): WantWrite => ({ verb: "patchStatus", kind: "Task", name, body: { metadata: { resourceVersion }, status: { conditions: [{ type: "Schedulable", ...condition }] } } });
const notEnabled = "spec.dependsOn: job j does not set usesTaskDependencies: true, so its tasks may not depend on others";
const told = (reason: string, message: string): Condition => ({ type: "Schedulable", status: "False", reason, message, observedGeneration: 0, lastTransitionTime: "2026-11-29T11:00:00.000Z" });
const unlabel = (name: string, resourceVersion = "1"): WantWrite => ({ verb: "patch", kind: "Task", name, body: { metadata: { resourceVersion, labels: { [nodeLabel]: null }, annotations: { [assignmentAnnotation]: null } } } });

test("the dispatcher writes assignments, releases orphans and explains blocked tasks", async (t) => {
  const cases: Record<string, {
    setup: Setup;
    deallocation?: string;
    failures?: Failure[];
    /** Dispatches in a row (what a blocked task is told is not repeated). */
    runs?: number;
    want: { writes: WantWrite[]; assigned?: string[]; requeued?: string[]; nodes?: Record<string, string | undefined>; error?: RegExp; outcome?: Outcome };
  }> = {
    "pending tasks get the node label, with the resourceVersion the plan was made from": {
      setup: { nodes: ["n1", "n2"], tasks: [{ name: "t1" }, { name: "t2" }, { name: "t3" }] },
      want: { writes: [assign("t1", "n1"), assign("t2", "n2"), assign("t3", "n1")], assigned: ["t1→n1", "t2→n2", "t3→n1"], nodes: { t1: "n1", t2: "n2", t3: "n1" } },
    },
    "a task without an owner (kubectl, GitOps) gets its job as controller owner with its assignment": {
      setup: { nodes: ["n1", "n2"], jobs: [{ name: "j", uid: "uid-j" }], tasks: [{ name: "t1", unowned: true }, { name: "t2" }] },
      want: {
        writes: [
          { verb: "patch", kind: "Task", name: "t1", body: { metadata: { resourceVersion: "1", labels: { [nodeLabel]: "n1", "kubatch.dev/job": "j" }, ownerReferences: [{ apiVersion: "kubatch.dev/v1alpha1", kind: "Job", name: "j", uid: "uid-j", controller: true }] } } },
          assign("t2", "n2"),
        ],
        assigned: ["t1→n1", "t2→n2"],
      },
    },
    "a task given back by its agent (the job's preparation failed on its node): back to the queue, no requeue counted, not to that node again": {
      setup: { nodes: ["n1", "n2"], tasks: [{ name: "t1", node: "n1", prepFailedNodes: ["n1"] }, { name: "t2", prepFailedNodes: ["n1"] }] },
      want: { writes: [unlabel("t1"), assign("t2", "n2")], requeued: [], assigned: ["t2→n2"] },
    },
    "no node: nothing is written": {
      setup: { nodes: [], tasks: [{ name: "t1" }] },
      want: { writes: [], nodes: { t1: undefined } },
    },
    "full nodes: nothing is written": {
      setup: { nodes: ["n1"], tasks: [{ name: "a", node: "n1", reportedNode: "n1", state: "Running" }, { name: "b", node: "n1" }, { name: "c" }] },
      want: { writes: [], nodes: { c: undefined } },
    },
    "a task assigned to a node that is gone and never started there: its label is cleared": {
      setup: { nodes: ["n1"], tasks: [{ name: "t1", node: "gone" }] },
      want: { writes: [unlabel("t1")], requeued: ["t1"] },
    },
    "a task that ran on a node that is gone: back to Active with a requeue counted, then its label cleared": {
      setup: { nodes: [], tasks: [{ name: "t1", node: "gone", reportedNode: "gone", state: "Running", requeueCount: 2 }] },
      want: {
        writes: [
          { verb: "patchStatus", kind: "Task", name: "t1", body: { metadata: { resourceVersion: "1" }, status: { state: "Active", previousState: "Running", nodeInfo: null, executionInfo: { requeueCount: 3 } } } },
          unlabel("t1", "1001"),
        ],
        requeued: ["t1"],
      },
    },
    "a requeue cut short between its writes (an operator crash: Active, counted, still labelled): only the label is cleared, the requeue not counted again": {
      setup: { nodes: [], tasks: [{ name: "t1", node: "gone", state: "Active", requeueCount: 3 }] },
      want: { writes: [unlabel("t1")], requeued: ["t1"] },
    },
    "nodeDeallocationOption Terminate: a task that ran on the lost node ends as failed": {
      setup: { nodes: [], tasks: [{ name: "t1", node: "gone", reportedNode: "gone", state: "Running" }] },
      deallocation: "Terminate",
      want: { writes: [{ verb: "patchStatus", kind: "Task", name: "t1", body: { status: { state: "Completed", previousState: "Running", executionInfo: { result: "Failure", failureInfo: { category: "ServerError", code: nodeDeallocated } } } } }] },
    },
    "nodeDeallocationOption Terminate: a task that had not started there is requeued": {
      setup: { nodes: [], tasks: [{ name: "t1", node: "gone" }] },
      deallocation: "Terminate",
      want: { writes: [unlabel("t1")], requeued: ["t1"] },
    },
    "scheduling disabled with Requeue: its running task goes back to the queue, new tasks go elsewhere": {
      setup: { nodes: ["n1", "n2"], disabled: { n1: "Requeue" }, tasks: [{ name: "t1", node: "n1", reportedNode: "n1", state: "Running" }, { name: "t2" }] },
      want: {
        writes: [{ verb: "patchStatus", kind: "Task", name: "t1", body: { status: { state: "Active", previousState: "Running", executionInfo: { requeueCount: 1 } } } }, { verb: "patch", kind: "Task", name: "t1" }, assign("t2", "n2")],
        requeued: ["t1"],
        assigned: ["t2→n2"],
      },
    },
    "scheduling disabled with Terminate: its running task ends as failed (TaskEnded)": {
      setup: { nodes: ["n1"], disabled: { n1: "Terminate" }, tasks: [{ name: "t1", node: "n1", reportedNode: "n1", state: "Running" }, { name: "t2" }] },
      want: { writes: [{ verb: "patchStatus", kind: "Task", name: "t1", body: { status: { state: "Completed", executionInfo: { result: "Failure", failureInfo: { category: "UserError", code: taskEnded } } } } }] },
    },
    "scheduling disabled with TaskCompletion: its running task runs on, no new task goes there": {
      setup: { nodes: ["n1"], disabled: { n1: "TaskCompletion" }, tasks: [{ name: "t1", node: "n1", reportedNode: "n1", state: "Running" }, { name: "t2" }] },
      want: { writes: [] },
    },
    "terminate requests: a waiting task is never assigned, it and a running one end as TaskEnded with the reason": {
      setup: { nodes: ["n1"], tasks: [{ name: "t1", terminateReason: "" }, { name: "t2", node: "n1", reportedNode: "n1", state: "Running", terminateReason: "no longer needed" }, { name: "t3" }] },
      want: {
        writes: [
          { verb: "patchStatus", kind: "Task", name: "t1", body: { status: { state: "Completed", previousState: "Active", executionInfo: { result: "Failure", failureInfo: { category: "UserError", code: taskEnded, message: "the task was terminated" } } } } },
          { verb: "patchStatus", kind: "Task", name: "t2", body: { status: { state: "Completed", previousState: "Running", executionInfo: { result: "Failure", failureInfo: { code: taskEnded, message: "the task was terminated: no longer needed" } } } } },
          assign("t3", "n1"),
        ],
        assigned: ["t3→n1"],
      },
    },
    "a terminate that conflicts is tried again soon": {
      setup: { nodes: [], tasks: [{ name: "t1", terminateReason: "" }] },
      failures: [{ verb: "patchStatus", name: "t1", code: 409 }],
      want: { writes: [], outcome: { requeueAfterMs: 1_000 } },
    },
    "a release that conflicts is tried again soon (no event may come)": {
      setup: { nodes: [], tasks: [{ name: "t1", node: "gone" }] },
      failures: [{ verb: "patch", name: "t1", code: 409 }],
      want: { writes: [], outcome: { requeueAfterMs: 1_000 } },
    },
    "an assignment that conflicts: the assumption is undone": {
      setup: { nodes: ["n1"], tasks: [{ name: "t1" }, { name: "t2" }] },
      failures: [{ verb: "patch", name: "t1", code: 409 }],
      want: { writes: [assign("t2", "n1")], assigned: ["t2→n1"], nodes: { t1: undefined, t2: "n1" } },
    },
    "an assignment that fails otherwise: the error is the outcome, the assumption undone": {
      setup: { nodes: ["n1"], tasks: [{ name: "t1" }] },
      failures: [{ verb: "patch", name: "t1", code: 500 }],
      want: { writes: [], nodes: { t1: undefined }, error: /500/ },
    },
    "a blocked task is told why once, not at every dispatch (the cache is assumed to hold it until its event)": {
      setup: { nodes: ["n1"], jobs: [{ name: "j", usesTaskDependencies: false }], tasks: [{ name: "t1", dependsOn: { taskIds: ["x"] } }] },
      runs: 2,
      want: {
        writes: [explained("t1", { status: "False", reason: "DependenciesNotEnabled", lastTransitionTime: "2026-11-29T12:00:00.000Z" })],
        nodes: { t1: undefined },
      },
    },
    "a task waiting for its dependencies is told so after the others are assigned": {
      setup: { nodes: ["n1"], jobs: [{ name: "j", usesTaskDependencies: true }], tasks: [{ name: "t1", id: "t1" }, { name: "t2", id: "t2", dependsOn: { taskIds: ["t1"] } }] },
      want: {
        writes: [assign("t1", "n1"), explained("t2", { reason: "DependenciesNotMet" })],
        assigned: ["t1→n1"],
        nodes: { t1: "n1", t2: undefined },
      },
    },
    "after a restart, a task whose cached condition already says why: nothing written": {
      setup: { nodes: [], jobs: [{ name: "j", usesTaskDependencies: false }], tasks: [{ name: "t1", dependsOn: { taskIds: ["x"] }, conditions: [told("DependenciesNotEnabled", notEnabled)] }] },
      want: { writes: [] },
    },
    "a new reason for a task still waiting: its lastTransitionTime is kept": {
      setup: { nodes: [], jobs: [{ name: "j", usesTaskDependencies: true }], tasks: [{ name: "t1", dependsOn: { taskIds: ["x"] }, conditions: [told("DependenciesNotEnabled", notEnabled)] }] },
      want: { writes: [explained("t1", { reason: "DependencyMissing", lastTransitionTime: "2026-11-29T11:00:00.000Z" })] },
    },
    "more than 100 to tell: 100 this pass, after the assignments, and a next pass soon": {
      setup: { nodes: ["n1"], jobs: [{ name: "j", usesTaskDependencies: false }], tasks: [{ name: "free" }, ...Array.from({ length: 130 }, (_, i) => ({ name: `b${String(i).padStart(3, "0")}`, dependsOn: { taskIds: ["x"] } }))] },
      want: {
        writes: [assign("free", "n1"), ...Array.from({ length: 100 }, (_, i) => explained(`b${String(i).padStart(3, "0")}`, { reason: "DependenciesNotEnabled" }))],
        assigned: ["free→n1"],
        outcome: { requeueAfterMs: 1_000 },
      },
    },
    "an explanation that conflicts is left to the next event, the cache not assumed": {
      setup: { nodes: [], jobs: [{ name: "j", usesTaskDependencies: false }], tasks: [{ name: "t1", dependsOn: { taskIds: ["x"] } }, { name: "t2", dependsOn: { taskIds: ["x"] } }] },
      failures: [{ verb: "patchStatus", name: "t1", code: 409 }],
      runs: 2,
      want: { writes: [explained("t2", { reason: "DependenciesNotEnabled" })] },
    },
    "an explanation that fails otherwise: the others still written, the error is the outcome": {
      setup: { nodes: ["n1"], jobs: [{ name: "j", usesTaskDependencies: false }], tasks: [{ name: "free" }, { name: "t1", dependsOn: { taskIds: ["x"] } }, { name: "t2", dependsOn: { taskIds: ["x"] } }] },
      failures: [{ verb: "patchStatus", name: "t1", code: 500 }],
      want: { writes: [assign("free", "n1"), explained("t2", { reason: "DependenciesNotEnabled" })], assigned: ["free→n1"], nodes: { free: "n1" }, error: /500/ },
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, async () => {
      const state = stateOf(tc.setup);
      const api = fakeApi({ failures: tc.failures });
      const assigned: string[] = [];
      const requeued: string[] = [];
      const dispatch = makeDispatcher({
        state,
        custom: api.custom,
        deallocation: (key) => (key === poolKey ? tc.deallocation : undefined),
        log: () => {},
        onAssigned: (task, node) => void assigned.push(`${task.name}→${node}`),
        onRequeued: (task) => void requeued.push(task.name),
        now: new FakeClock("2026-11-29T12:00:00Z").date,
      });
      let error: unknown;
      for (let i = 0; i < (tc.runs ?? 1); i++) {
        try {
          assert.deepEqual(await dispatch(poolKey), tc.want.outcome);
        } catch (err) {
          error = err;
        }
      }
      if (tc.want.error) assert.match(String(error), tc.want.error);
      else assert.equal(error, undefined);
      assertWrites(api.writes, tc.want.writes);
      // Each assignment names itself afresh, so an agent tells a second assignment to the same node from the first.
      const tokens = api.writes.map((w) => (w.body as { metadata?: { labels?: Record<string, unknown>; annotations?: Record<string, unknown> } }).metadata).filter((m) => typeof m?.labels?.[nodeLabel] === "string").map((m) => m?.annotations?.[assignmentAnnotation]);
      for (const token of tokens) assert.match(String(token), /^[0-9a-f-]{36}$/);
      assert.equal(new Set(tokens).size, tokens.length);
      assert.deepEqual(assigned, tc.want.assigned ?? []);
      assert.deepEqual(requeued, tc.want.requeued ?? []);
      for (const [task, node] of Object.entries(tc.want.nodes ?? {})) assert.equal(state.tasks.get(`ns/${task}`)?.node, node, `${task}'s node in the scheduler's state`);
    });
  }
});
