import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Pod } from "@kubernetes/client-node";
import { planNodeRequests, planScaleIn, removalGraceMs } from "./scale-in.ts";

const pod = (name: string, annotations?: Record<string, string>): V1Pod => ({
  metadata: { name, annotations },
  spec: { nodeName: "n", containers: [] },
  status: { phase: "Running", containerStatuses: [{ name: "agent", image: "", imageID: "", ready: true, restartCount: 0, state: { running: {} } }], conditions: [{ type: "Ready", status: "True" }] },
});

test("planScaleIn picks idle nodes first and drains busy ones under TaskCompletion", async (t) => {
  const busy = new Set(["b"]);
  const workOf = (name: string) => ({ runningTasks: busy.has(name) ? 1 : 0, runningTaskSlots: busy.has(name) ? 1 : 0 });
  const cases: Record<string, { pods: V1Pod[]; target: number; option: string; replicas: number; leaving: string[]; cost?: Record<string, string> }> = {
    "3→1 under Requeue removes two idle nodes at once": { pods: [pod("a"), pod("b"), pod("c")], target: 1, option: "Requeue", replicas: 1, leaving: ["a", "c"] },
    "3→1 under TaskCompletion keeps the busy node when idle ones can go": { pods: [pod("a"), pod("b"), pod("c")], target: 1, option: "TaskCompletion", replicas: 1, leaving: ["a", "c"] },
    "3→0 under TaskCompletion keeps the busy node until its task ends": { pods: [pod("a"), pod("b"), pod("c")], target: 0, option: "TaskCompletion", replicas: 1, leaving: ["a", "b", "c"] },
    "3→0 under Terminate removes all at once": { pods: [pod("a"), pod("b"), pod("c")], target: 0, option: "Terminate", replicas: 0, leaving: ["a", "b", "c"] },
    "no change": { pods: [pod("a")], target: 1, option: "Requeue", replicas: 1, leaving: [] },
    // kubatch node remove: the named node goes before idle ones, and waits until its tasks were released.
    "3→2 with the busy node removed (Requeue): it leaves, kept until its task is requeued": { pods: [pod("a"), pod("b", { "kubatch.dev/remove": "Requeue" }), pod("c")], target: 2, option: "Requeue", replicas: 3, leaving: ["b"], cost: { b: "0" } },
    "3→2 with an idle node removed: it leaves at once": { pods: [pod("a"), pod("b"), pod("c", { "kubatch.dev/remove": "Terminate" })], target: 2, option: "TaskCompletion", replicas: 2, leaving: ["c"], cost: { c: "-1000" } },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const plan = planScaleIn(tc.pods, tc.target, tc.option, workOf);
      assert.equal(plan.replicas, tc.replicas);
      const leaving = [...plan.annotate].filter(([, a]) => a["kubatch.dev/leaving"] === "true").map(([n]) => n).sort();
      assert.deepEqual(leaving, tc.leaving);
      for (const n of leaving) {
        const cost = plan.annotate.get(n)!["controller.kubernetes.io/pod-deletion-cost"];
        assert.equal(cost, tc.cost?.[n] ?? (busy.has(n) && tc.option === "TaskCompletion" ? "0" : "-1000"), `cost of ${n}`);
      }
    });
  }
});

test("growing again takes nodes out of leaving", () => {
  const plan = planScaleIn([pod("a", { "kubatch.dev/leaving": "true" }), pod("b")], 2, "TaskCompletion", () => ({ runningTasks: 0, runningTaskSlots: 0 }));
  assert.equal(plan.replicas, 2);
  assert.deepEqual(plan.annotate.get("a"), { "kubatch.dev/leaving": null, "controller.kubernetes.io/pod-deletion-cost": null });
});

test("planNodeRequests: removed and reimaged nodes go once idle; a removal waits for its lowered target, then its grace", () => {
  const t0 = 1_000_000;
  const busy = new Set(["b"]);
  const workOf = (name: string) => ({ runningTasks: busy.has(name) ? 1 : 0, runningTaskSlots: busy.has(name) ? 1 : 0 });
  const node = (name: string, annotations?: Record<string, string>, extra: Partial<V1Pod["metadata"]> = {}): V1Pod => ({ ...pod(name, annotations), metadata: { name, uid: `uid-${name}`, annotations, ...extra } });
  const remove = { "kubatch.dev/remove": "Requeue" };
  const reimage = { "kubatch.dev/reimage": "Requeue" };
  const cases: Record<string, { pods: V1Pod[]; target: number; idleBefore?: [string, number][]; now?: number; want: string[]; idleSince?: [string, number][]; recheckMs?: number }> = {
    "nothing asked": { pods: [node("a"), node("c")], target: 2, want: [] },
    "reimaged and idle: goes": { pods: [node("a", reimage), node("c")], target: 2, want: ["a reimaged"] },
    "reimaged but busy: stays until its tasks are released": { pods: [node("b", reimage), node("c")], target: 2, want: [] },
    "removed, idle, the target lowered (excess): goes": { pods: [node("a", remove), node("c")], target: 1, want: ["a removed"] },
    "removed, idle, no excess yet: waits its grace": { pods: [node("a", remove), node("c")], target: 2, want: [], idleSince: [["uid-a", t0]], recheckMs: removalGraceMs },
    "removed, no excess, the grace half run: waits the rest": { pods: [node("a", remove), node("c")], target: 2, idleBefore: [["uid-a", t0 - 4_000]], want: [], idleSince: [["uid-a", t0 - 4_000]], recheckMs: removalGraceMs - 4_000 },
    "removed, no excess past its grace (the ReplicaSet took another pod): goes": { pods: [node("a", remove), node("c")], target: 2, idleBefore: [["uid-a", t0 - removalGraceMs]], want: ["a removed"] },
    "removed but busy: its grace is kept for when it is idle": { pods: [node("b", remove), node("c")], target: 2, idleBefore: [["uid-b", t0 - 1]], want: [], idleSince: [["uid-b", t0 - 1]] },
    "being deleted already: left alone": { pods: [node("a", reimage, { deletionTimestamp: new Date(t0) }), node("c")], target: 2, want: [] },
  };
  for (const [name, tc] of Object.entries(cases)) {
    const plan = planNodeRequests(tc.pods, { dedicated: tc.target, lowPriority: 0 }, workOf, new Map(tc.idleBefore ?? []), tc.now ?? t0);
    assert.deepEqual(plan.remove.map((r) => `${r.pod.metadata?.name} ${r.why}`), tc.want, name);
    assert.deepEqual([...plan.idleSince], tc.idleSince ?? [], `${name}: idle since`);
    assert.equal(plan.recheckMs, tc.recheckMs, `${name}: recheck`);
  }
});
