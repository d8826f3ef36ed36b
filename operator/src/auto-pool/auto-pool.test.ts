import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Outcome } from "../controller/work-queue.ts";
import { autoPoolHashAnnotation, autoPoolOwnerKindLabel, autoPoolOwnerLabel, workItemLabel } from "../../../api/labels.ts";
import type { JobState } from "../../../api/job.ts";
import type { WorkItemState } from "../../../api/work-item.ts";
import type { JobObject, WorkItemObject } from "../../../kube/objects.ts";
import { autoPoolFieldManager, autoPoolKeyOfJob, autoPoolKeyOfWorkItem, desiredAutoPool, planAutoPool, type AutoPoolSpec, type OwnerObject } from "./auto-pool.ts";
import { DispatchState } from "../dispatch/dispatch-state.ts";
import { makeAutoPoolReconciler } from "./reconciler.ts";
import { assertEvents, assertWrites, cache, fakeApi, FakeClock, type WantWrite } from "../controller/reconcile-harness.ts";

const ns = "ns";
const poolSpec = { vmSize: "small", targetDedicatedNodes: 1 };

function job(name: string, auto: AutoPoolSpec | undefined, opts: { state?: JobState; workItem?: string; deleting?: boolean } = {}): JobObject {
  return {
    apiVersion: "kubatch.dev/v1alpha1",
    kind: "Job",
    metadata: {
      name,
      namespace: ns,
      uid: `uid-${name}`,
      labels: opts.workItem ? { [workItemLabel]: opts.workItem } : {},
      deletionTimestamp: opts.deleting ? new Date(0) : undefined,
    },
    spec: { poolInfo: auto ? { autoPoolSpecification: auto } : { poolId: "shared" } },
    status: opts.state ? { state: opts.state } : undefined,
  };
}

function workItem(name: string, auto: AutoPoolSpec, opts: { state?: WorkItemState; deleting?: boolean } = {}): WorkItemObject {
  return {
    apiVersion: "kubatch.dev/v1alpha1",
    kind: "WorkItem",
    metadata: { name, namespace: ns, uid: `uid-${name}`, deletionTimestamp: opts.deleting ? new Date(0) : undefined },
    spec: { jobSpecification: { poolInfo: { autoPoolSpecification: auto } } },
    status: opts.state ? { state: opts.state } : undefined,
  };
}

const jobLifetime: AutoPoolSpec = { poolLifetimeOption: "Job", keepAlive: false, pool: poolSpec };
const keepAlive: AutoPoolSpec = { ...jobLifetime, keepAlive: true };
const scheduleLifetime: AutoPoolSpec = { autoPoolIdPrefix: "wi", poolLifetimeOption: "JobSchedule", keepAlive: false, pool: poolSpec };

/** The pool as the API server would hold it after the plan's apply. */
const existingFor = (owner: OwnerObject, spec: AutoPoolSpec, name: string, extra: { deleting?: boolean } = {}): KubernetesObject => {
  const pool = desiredAutoPool(name, owner, spec);
  return { ...pool, metadata: { ...pool.metadata, deletionTimestamp: extra.deleting ? new Date(0) : undefined, finalizers: ["kubatch.dev/pool-nodes"] } };
};

test("pool keys: a job's auto pool, a work item's shared pool, none for poolId", async (t) => {
  const cases: Record<string, { obj: JobObject | WorkItemObject; key: string | undefined; of: "job" | "workItem" }> = {
    "job on an existing pool": { obj: job("j", undefined), key: undefined, of: "job" },
    "lifetime Job: auto-<job>": { obj: job("j", jobLifetime), key: "ns/auto-j", of: "job" },
    "prefix": { obj: job("j", { ...jobLifetime, autoPoolIdPrefix: "ocr" }), key: "ns/ocr-j", of: "job" },
    "JobSchedule job of a work item: <prefix>-<workitem>": { obj: job("nightly-job-0000000002", scheduleLifetime, { workItem: "nightly" }), key: "ns/wi-nightly", of: "job" },
    "JobSchedule job without a work item: its own": { obj: job("solo", scheduleLifetime), key: "ns/wi-solo", of: "job" },
    "work item under JobSchedule": { obj: workItem("nightly", scheduleLifetime), key: "ns/wi-nightly", of: "workItem" },
    "work item whose jobs get pools of their own": { obj: workItem("nightly", jobLifetime), key: undefined, of: "workItem" },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => assert.equal(tc.of === "job" ? autoPoolKeyOfJob(tc.obj as JobObject) : autoPoolKeyOfWorkItem(tc.obj as WorkItemObject), tc.key));
  }
});

test("desiredAutoPool: labels, owner reference unless keepAlive, the spec as given", async (t) => {
  const cases: Record<string, { owner: OwnerObject; spec: AutoPoolSpec; ownerRef: boolean }> = {
    "lifetime Job: owned by the job": { owner: job("j", jobLifetime), spec: jobLifetime, ownerRef: true },
    "lifetime JobSchedule: owned by the work item": { owner: workItem("nightly", scheduleLifetime), spec: scheduleLifetime, ownerRef: true },
    "keepAlive: owned by nobody": { owner: job("j", keepAlive), spec: keepAlive, ownerRef: false },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const pool = desiredAutoPool("p", tc.owner, tc.spec) as KubernetesObject & { spec: unknown };
      assert.equal(pool.kind, "Pool");
      assert.equal(pool.metadata?.namespace, ns);
      assert.deepEqual(pool.metadata?.labels, { [autoPoolOwnerKindLabel]: tc.owner.kind, [autoPoolOwnerLabel]: tc.owner.metadata?.name });
      assert.deepEqual(pool.spec, poolSpec);
      assert.match(pool.metadata?.annotations?.[autoPoolHashAnnotation] ?? "", /^[0-9a-f]{16}$/);
      const refs = pool.metadata?.ownerReferences;
      if (tc.ownerRef) assert.deepEqual(refs, [{ apiVersion: "kubatch.dev/v1alpha1", kind: tc.owner.kind, name: tc.owner.metadata?.name, uid: tc.owner.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
      else assert.equal(refs, undefined);
      assert.deepEqual(desiredAutoPool("p", tc.owner, tc.spec), pool, "deterministic");
    });
  }
});

test("planAutoPool follows the pool's lifetime", async (t) => {
  const active = job("j", jobLifetime);
  const done = job("j", jobLifetime, { state: "Completed" });
  const kept = job("j", keepAlive, { state: "Completed" });
  const wi = workItem("nightly", scheduleLifetime);
  const wiDone = workItem("nightly", scheduleLifetime, { state: "Completed" });
  const wiDeleting = workItem("nightly", scheduleLifetime, { deleting: true });
  const wiJob = (n: number, state?: JobState) => job(`nightly-job-000000000${n}`, scheduleLifetime, { workItem: "nightly", state });
  const cases: Record<string, { name: string; jobs?: JobObject[]; workItems?: WorkItemObject[]; existing?: KubernetesObject; action: string; create?: boolean; conflict?: boolean; requeue?: boolean }> = {
    "no job or work item wants it": { name: "auto-j", action: "none" },
    "job on a named pool: not an auto pool": { name: "shared", jobs: [job("j", undefined)], action: "none" },
    "active job, no pool: create": { name: "auto-j", jobs: [active], action: "apply", create: true },
    "active job, its pool applied: nothing": { name: "auto-j", jobs: [active], existing: existingFor(active, jobLifetime, "auto-j"), action: "none" },
    "active job, its pool outdated: apply": { name: "auto-j", jobs: [active], existing: existingFor(active, { ...jobLifetime, pool: { vmSize: "large" } }, "auto-j"), action: "apply", create: false },
    "completed job: delete its pool": { name: "auto-j", jobs: [done], existing: existingFor(active, jobLifetime, "auto-j"), action: "delete" },
    "job being deleted: delete its pool": { name: "auto-j", jobs: [job("j", jobLifetime, { deleting: true })], existing: existingFor(active, jobLifetime, "auto-j"), action: "delete" },
    "completed job, pool gone: nothing": { name: "auto-j", jobs: [done], action: "none" },
    "completed job, pool already deleting: nothing": { name: "auto-j", jobs: [done], existing: existingFor(active, jobLifetime, "auto-j", { deleting: true }), action: "none" },
    "completed job, keepAlive: the pool stays": { name: "auto-j", jobs: [kept], existing: existingFor(kept, keepAlive, "auto-j"), action: "none" },
    "completed job never had a pool: not created": { name: "auto-j", jobs: [done], action: "none" },
    "active job, an earlier pool of that name still draining: wait": { name: "auto-j", jobs: [active], existing: existingFor(active, jobLifetime, "auto-j", { deleting: true }), action: "none", requeue: true },
    "a user's pool of that name: left alone, reported": { name: "auto-j", jobs: [active], existing: { apiVersion: "kubatch.dev/v1alpha1", kind: "Pool", metadata: { name: "auto-j", namespace: ns } }, action: "none", conflict: true },
    "a user's pool of that name is never deleted": { name: "auto-j", jobs: [done], existing: { apiVersion: "kubatch.dev/v1alpha1", kind: "Pool", metadata: { name: "auto-j", namespace: ns } }, action: "none", conflict: true },
    "work item before its first job: no pool yet": { name: "wi-nightly", workItems: [wi], action: "none" },
    "work item with a job: create the shared pool": { name: "wi-nightly", workItems: [wi], jobs: [wiJob(1)], action: "apply", create: true },
    "work item between jobs: the pool stays": { name: "wi-nightly", workItems: [wi], jobs: [wiJob(1, "Completed")], existing: existingFor(wi, scheduleLifetime, "wi-nightly"), action: "none" },
    "work item's second job: the same pool": { name: "wi-nightly", workItems: [wi], jobs: [wiJob(1, "Completed"), wiJob(2)], existing: existingFor(wi, scheduleLifetime, "wi-nightly"), action: "none" },
    "work item completed: delete": { name: "wi-nightly", workItems: [wiDone], jobs: [wiJob(1, "Completed")], existing: existingFor(wi, scheduleLifetime, "wi-nightly"), action: "delete" },
    "work item being deleted: delete": { name: "wi-nightly", workItems: [wiDeleting], jobs: [wiJob(1)], existing: existingFor(wi, scheduleLifetime, "wi-nightly"), action: "delete" },
    "work item gone, its job left: the garbage collector's": { name: "wi-nightly", jobs: [wiJob(1)], existing: existingFor(wi, scheduleLifetime, "wi-nightly"), action: "none" },
    "work item with per-job pools: each job its own": { name: "auto-nightly-job-0000000001", workItems: [workItem("nightly", jobLifetime)], jobs: [job("nightly-job-0000000001", jobLifetime, { workItem: "nightly" })], action: "apply", create: true },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const plan = planAutoPool({ namespace: ns, name: tc.name, jobs: tc.jobs ?? [], workItems: tc.workItems ?? [], existing: tc.existing });
      assert.equal(plan.action, tc.action);
      if (plan.action === "apply") {
        assert.equal(plan.create, tc.create);
        assert.equal(plan.pool.metadata?.name, tc.name);
      }
      if (plan.action === "none") {
        assert.equal(plan.conflict !== undefined, tc.conflict ?? false);
        assert.equal(plan.requeueAfterMs !== undefined, tc.requeue ?? false);
      }
    });
  }
});

test("the auto-pool reconciler carries out the plan: apply under its field manager, delete, events", async (t) => {
  const active = job("j", jobLifetime);
  const userPool = { apiVersion: "kubatch.dev/v1alpha1", kind: "Pool", metadata: { name: "auto-j", namespace: ns } };
  const cases: Record<string, { jobs: JobObject[]; existing?: KubernetesObject; want: { writes: WantWrite[]; events?: string[]; outcome?: Outcome } }> = {
    "no pool yet: applied, AutoPoolCreated": { jobs: [active], want: { writes: [{ verb: "apply", kind: "Pool", name: "auto-j", body: { spec: poolSpec } }], events: ["Normal AutoPoolCreated"] } },
    "its pool as applied: nothing": { jobs: [active], existing: existingFor(active, jobLifetime, "auto-j"), want: { writes: [] } },
    "its pool outdated: applied again, no event": {
      jobs: [active],
      existing: existingFor(active, { ...jobLifetime, pool: { vmSize: "large" } }, "auto-j"),
      want: { writes: [{ verb: "apply", kind: "Pool", name: "auto-j", body: { spec: poolSpec } }] },
    },
    "a user's pool of that name: a Warning, left alone": { jobs: [active], existing: userPool, want: { writes: [], events: ["Warning AutoPoolConflict"] } },
    "an earlier pool of that name still draining: looked at again": { jobs: [active], existing: existingFor(active, jobLifetime, "auto-j", { deleting: true }), want: { writes: [], outcome: { requeueAfterMs: 2_000 } } },
    "the job completed: deleted, AutoPoolDeleted": {
      jobs: [job("j", jobLifetime, { state: "Completed" })],
      existing: existingFor(active, jobLifetime, "auto-j"),
      want: { writes: [{ verb: "delete", kind: "Pool", name: "auto-j" }], events: ["Normal AutoPoolDeleted"] },
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, async () => {
      const api = fakeApi();
      const reconcile = makeAutoPoolReconciler({
        jobs: cache(tc.jobs),
        workItems: cache([]),
        pools: cache(tc.existing ? [tc.existing] : []),
        writer: api.writer,
        deletePool: async (namespace, pool) => void api.writes.push({ verb: "delete", kind: "Pool", namespace, name: pool }),
        events: api.recorder,
        state: new DispatchState(),
        listEvents: async () => [],
      });
      assert.deepEqual(await reconcile("ns/auto-j"), tc.want.outcome);
      assertWrites(api.writes, tc.want.writes);
      for (const w of api.writes.filter((x) => x.verb === "apply")) assert.equal(w.manager, autoPoolFieldManager);
      assertEvents(api.events, tc.want.events ?? []);
    });
  }
});

test("the pool of a completed job stays until its nodes ran the job release task", async () => {
  const released: { reason?: string; message?: string }[] = [];
  const api = fakeApi();
  const state = new DispatchState();
  state.upsertNode({ key: `${ns}/auto-r-node-1`, name: "auto-r-node-1", poolKey: `${ns}/auto-r`, usable: true });
  state.upsertTask({ key: `${ns}/t`, namespace: ns, name: "t", jobKey: `${ns}/r`, resourceVersion: "1", created: "", requiredSlots: 1, completed: true, state: "Completed", result: "Success", requeueCount: 0, node: "auto-r-node-1", reportedNode: "auto-r-node-1" });
  const done = job("r", jobLifetime, { state: "Completed" });
  Object.assign(done.spec as object, { jobReleaseTask: { commandLine: "cleanup", maxWallClockTime: "PT1M" } });
  (done.status as { executionInfo?: object }).executionInfo = { endTime: "2026-11-29T12:00:00Z" };
  const reconcile = makeAutoPoolReconciler({
    jobs: cache([done]),
    workItems: cache([]),
    pools: cache([existingFor(done, jobLifetime, "auto-r")]),
    writer: api.writer,
    deletePool: async (namespace, name) => void api.writes.push({ verb: "delete", kind: "Pool", namespace, name }),
    events: api.recorder,
    state,
    listEvents: async (_ns, uid) => (uid === "uid-r" ? released : []),
    now: new FakeClock("2026-11-29T12:00:05Z").date,
  });
  assert.deepEqual(await reconcile(`${ns}/auto-r`), { requeueAfterMs: 1_000 });
  assertWrites(api.writes, []);
  assert.deepEqual(api.events.map((e) => `${e.reason}: ${e.message}`), ["AutoPoolKeptForRelease: pool auto-r is kept until the job release task ran on auto-r-node-1 (at most 85 s more)"]);
  released.push({ reason: "JobReleaseTaskCompleted", message: "node auto-r-node-1: exit code 0 in 0.1 s" });
  assert.equal(await reconcile(`${ns}/auto-r`), undefined);
  assertWrites(api.writes, [{ verb: "delete", kind: "Pool", name: "auto-r" }]);
  assert.deepEqual(api.events.slice(1).map((e) => `${e.reason}: ${e.message}`), ["AutoPoolDeleted: deleted pool auto-r: Job r completed"]);
});
