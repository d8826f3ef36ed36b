import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KubernetesObject, KubernetesObjectApi, V1RoleBinding, V1Secret, V1ServiceAccount } from "@kubernetes/client-node";
import type { CustomObjectWrites } from "../../../kube/apply.ts";
import type { JobObject } from "../../../kube/objects.ts";
import { cache, fakeApi } from "../controller/reconcile-harness.ts";
import { jobTokenController } from "./controller.ts";
import { makeJobTokens, predecessorRetryMs, type JobTokens } from "./reconciler.ts";

const job = (opts: { token?: boolean; state?: string; uid?: string; name?: string; made?: string } = {}) =>
  ({
    apiVersion: "kubatch.dev/v1alpha1",
    kind: "Job",
    metadata: { name: opts.name ?? "j", namespace: "ns", uid: opts.uid ?? "u1", ...(opts.made ? { annotations: { "kubatch.dev/job-token": opts.made } } : {}) },
    spec: { poolInfo: { poolId: "p" }, ...(opts.token !== undefined ? { jobManagerTask: { id: "jm", commandLine: "x", ...(opts.token ? { authenticationTokenSettings: { access: ["job"] } } : {}) } } : {}) },
    status: { state: opts.state ?? "Active" },
  }) as unknown as JobObject;

type Stored = KubernetesObject & { metadata: { name: string; uid: string } };
const jobOwned = (uid: string) => [{ apiVersion: "kubatch.dev/v1alpha1", kind: "Job", name: "j", uid, controller: true, blockOwnerDeletion: true }];

/**
 * The API as the reconciler sees it: objects by `Kind/name` (uids given out in order), creates
 * that answer 409 for an existing name, reads, deletes with a uid precondition, and the job
 * annotation patches applied to `jobs`; `fail` answers `verb Kind` with a status code.
 */
function api(jobs: JobObject[], existing: Stored[] = [], fail: Record<string, number> = {}) {
  const calls: string[] = [];
  const store = new Map(existing.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
  let next = 0;
  const check = (call: string) => {
    calls.push(call);
    const code = fail[call.split(" ").slice(0, 2).join(" ")];
    if (code) throw Object.assign(new Error(String(code)), { code });
  };
  const objects = {
    create: async (obj: KubernetesObject) => {
      check(`create ${obj.kind} ${obj.metadata?.name}`);
      const key = `${obj.kind}/${obj.metadata?.name}`;
      if (store.has(key)) throw Object.assign(new Error("409"), { code: 409 });
      const made = { ...obj, metadata: { ...obj.metadata, uid: `uid-${++next}` } } as Stored;
      store.set(key, made);
      return made;
    },
    read: async (obj: KubernetesObject) => {
      check(`read ${obj.kind} ${obj.metadata?.name}`);
      const found = store.get(`${obj.kind}/${obj.metadata?.name}`);
      if (!found) throw Object.assign(new Error("404"), { code: 404 });
      return found;
    },
    delete: async (obj: KubernetesObject, ...[, , , , , body]: [unknown, unknown, unknown, unknown, unknown, { preconditions?: { uid?: string } }?]) => {
      check(`delete ${obj.kind} ${obj.metadata?.name} uid=${body?.preconditions?.uid}`);
      const key = `${obj.kind}/${obj.metadata?.name}`;
      const found = store.get(key);
      if (!found) throw Object.assign(new Error("404"), { code: 404 });
      if (body?.preconditions?.uid && found.metadata.uid !== body.preconditions.uid) throw Object.assign(new Error("409"), { code: 409 });
      store.delete(key);
      return {};
    },
  } as unknown as Pick<KubernetesObjectApi, "create" | "delete" | "read">;
  const custom = {
    patchNamespacedCustomObject: async (p: { name: string; body: { metadata: { annotations: Record<string, string> } } }) => {
      const value = p.body.metadata.annotations["kubatch.dev/job-token"]!;
      check(`annotate Job ${p.name} ${value}`);
      const i = jobs.findIndex((j) => j.metadata?.name === p.name);
      if (i < 0) throw Object.assign(new Error("404"), { code: 404 });
      jobs[i] = { ...jobs[i]!, metadata: { ...jobs[i]!.metadata, annotations: { "kubatch.dev/job-token": value } } };
      return jobs[i];
    },
  } as unknown as Pick<CustomObjectWrites, "patchNamespacedCustomObject">;
  return { calls, store, objects, custom };
}

const made = ["create ServiceAccount kubatch-job-j", "create RoleBinding kubatch-job-j", "create Secret kubatch-job-j-token", "annotate Job j uid-2"];

describe("job tokens", () => {
  type Step = (t: JobTokens, jobs: JobObject[]) => unknown;
  const reconcile: Step = (t) => t.reconcile("ns/j");
  const cases: Record<string, { jobs: JobObject[]; existing?: Stored[]; steps: Step[]; clusterRole?: string | null; fail?: Record<string, number>; calls: string[]; events?: string[]; outcome?: unknown }> = {
    "a job manager task that asks: ServiceAccount, RoleBinding, Secret, recorded on the job, once": { jobs: [job({ token: true })], steps: [reconcile, reconcile], calls: made, events: ["JobTokenCreated"] },
    "nobody asks: nothing": { jobs: [job({ token: false })], steps: [reconcile], calls: [] },
    "a task of the job asks: made": { jobs: [job()], steps: [(t) => t.request("ns/j"), reconcile], calls: made, events: ["JobTokenCreated"] },
    "recorded on the job (an operator restart): nothing made again": { jobs: [job({ token: true, made: "uid-9" })], steps: [reconcile], calls: [] },
    "made by an earlier process that died before recording it: its own objects found, recorded": {
      jobs: [job({ token: true })],
      existing: [
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "kubatch-job-j", uid: "sa-1", ownerReferences: jobOwned("u1") } },
        { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "kubatch-job-j", uid: "rb-1", ownerReferences: jobOwned("u1") } },
        { apiVersion: "v1", kind: "Secret", metadata: { name: "kubatch-job-j-token", uid: "s-1" } },
      ],
      steps: [reconcile],
      calls: ["create ServiceAccount kubatch-job-j", "read ServiceAccount kubatch-job-j", "create RoleBinding kubatch-job-j", "read RoleBinding kubatch-job-j", "create Secret kubatch-job-j-token", "annotate Job j rb-1"],
      events: ["JobTokenCreated"],
    },
    "an earlier job of the name still owns the ServiceAccount: looked at again soon, nothing else": {
      jobs: [job({ token: true })],
      existing: [{ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "kubatch-job-j", uid: "sa-0", ownerReferences: jobOwned("u0") } }],
      steps: [async (t) => assert.deepEqual(await t.reconcile("ns/j"), { requeueAfterMs: predecessorRetryMs })],
      calls: ["create ServiceAccount kubatch-job-j", "read ServiceAccount kubatch-job-j"],
    },
    "a stranger's ServiceAccount of that name: a Warning once, no token": {
      jobs: [job({ token: true })],
      existing: [{ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "kubatch-job-j", uid: "sa-x" } }],
      steps: [reconcile, reconcile],
      calls: ["create ServiceAccount kubatch-job-j", "read ServiceAccount kubatch-job-j", "create ServiceAccount kubatch-job-j", "read ServiceAccount kubatch-job-j"],
      events: ["JobTokenConflict"],
    },
    "a refused create is an error (retried by the queue)": { jobs: [job({ token: true })], steps: [(t) => assert.rejects(t.reconcile("ns/j"), /403/)], fail: { "create RoleBinding": 403 }, calls: made.slice(0, 2) },
    "the job completed: the RoleBinding made deleted (its uid a precondition), recorded as revoked, once": {
      jobs: [job({ token: true, state: "Completed", made: "rb-1" })],
      existing: [{ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "kubatch-job-j", uid: "rb-1" } }],
      steps: [reconcile, reconcile],
      calls: ["delete RoleBinding kubatch-job-j uid=rb-1", "annotate Job j revoked"],
    },
    "completed, the binding of that name another one now: left alone, revoked recorded": {
      jobs: [job({ token: true, state: "Completed", made: "rb-1" })],
      existing: [{ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "kubatch-job-j", uid: "rb-other" } }],
      steps: [reconcile],
      calls: ["delete RoleBinding kubatch-job-j uid=rb-1", "annotate Job j revoked"],
    },
    "completed with no token made: nothing": { jobs: [job({ token: true, state: "Completed" })], steps: [reconcile], calls: [] },
    "made, then completed: made, then revoked": {
      jobs: [job({ token: true })],
      steps: [reconcile, (_t, jobs) => (jobs[0] = { ...jobs[0]!, status: { state: "Completed" } } as JobObject), reconcile],
      calls: [...made, "delete RoleBinding kubatch-job-j uid=uid-2", "annotate Job j revoked"],
      events: ["JobTokenCreated"],
    },
    "no ClusterRole configured: a Warning once, nothing made": { jobs: [job({ token: true })], clusterRole: null, steps: [reconcile, reconcile], calls: [], events: ["JobTokenUnavailable"] },
    "the job is gone: nothing (its objects go with it)": { jobs: [], steps: [(t) => t.request("ns/j"), reconcile], calls: [] },
  };
  for (const [name, tc] of Object.entries(cases)) {
    it(name, async () => {
      const jobs = [...tc.jobs];
      const a = api(jobs, tc.existing, tc.fail);
      const events = fakeApi();
      const tokens = makeJobTokens({ jobs: cache(() => jobs), objects: a.objects, custom: a.custom, clusterRole: tc.clusterRole === null ? undefined : (tc.clusterRole ?? "job-token.kubatch.dev"), events: events.recorder });
      for (const step of tc.steps) await step(tokens, jobs);
      assert.deepEqual(a.calls, tc.calls);
      assert.deepEqual(events.events.map((e) => e.reason), tc.events ?? []);
    });
  }

  it("what it makes: the ServiceAccount and RoleBinding owned by the job, the Secret by the RoleBinding and naming the ServiceAccount", async () => {
    const jobs = [job({ token: true })];
    const a = api(jobs);
    const tokens = makeJobTokens({ jobs: cache(() => jobs), objects: a.objects, custom: a.custom, clusterRole: "kubatch-job-token", events: fakeApi().recorder });
    await tokens.reconcile("ns/j");
    const [sa, rb, secret] = ["ServiceAccount/kubatch-job-j", "RoleBinding/kubatch-job-j", "Secret/kubatch-job-j-token"].map((k) => a.store.get(k)!) as [V1ServiceAccount, V1RoleBinding, V1Secret];
    for (const obj of [sa, rb]) assert.deepEqual(obj.metadata?.ownerReferences, jobOwned("u1"));
    assert.equal(sa.automountServiceAccountToken, false);
    assert.deepEqual(rb.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "kubatch-job-token" });
    assert.deepEqual(rb.subjects, [{ kind: "ServiceAccount", name: "kubatch-job-j", namespace: "ns" }]);
    assert.equal(secret.type, "kubernetes.io/service-account-token");
    assert.deepEqual(secret.metadata?.annotations, { "kubernetes.io/service-account.name": "kubatch-job-j" });
    assert.deepEqual(secret.metadata?.ownerReferences, [{ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", name: "kubatch-job-j", uid: rb.metadata?.uid, controller: true }]);
    assert.equal(jobs[0]!.metadata?.annotations?.["kubatch.dev/job-token"], rb.metadata?.uid);
  });

  it("the controller: a task or collection asking enqueues its job; a container task, a deleted one or one not asking does not", () => {
    const added: string[] = [];
    const tokens = makeJobTokens({ jobs: cache<JobObject>([]), objects: api([]).objects, custom: api([]).custom, clusterRole: "r", events: fakeApi().recorder });
    const c = jobTokenController({ tokens, queue: { add: (k) => void added.push(k), addAfter: () => undefined } });
    const task = (spec: object) => ({ obj: { metadata: { name: "t", namespace: "ns" }, spec: { jobName: "a", commandLine: "x", ...spec } } }) as never;
    c.watches.tasks!("add", task({ authenticationTokenSettings: { access: ["job"] } }));
    c.watches.tasks!("add", task({ jobName: undefined, jobId: "b", authenticationTokenSettings: { access: ["job"] } }));
    c.watches.tasks!("add", task({ jobName: "x", containerSettings: { imageName: "i" }, authenticationTokenSettings: { access: ["job"] } }));
    c.watches.tasks!("delete", task({ jobName: "y", authenticationTokenSettings: { access: ["job"] } }));
    c.watches.tasks!("update", task({ jobName: "z" }));
    c.watches.collections!("add", { metadata: { name: "c", namespace: "ns" }, spec: { jobName: "d", task: { commandLine: "x", authenticationTokenSettings: { access: ["job"] } } } } as never);
    assert.deepEqual(added, ["ns/a", "ns/b", "ns/d"]);
    assert.ok(tokens.wanted(job({ name: "a" }), "ns/a"));
    assert.ok(!tokens.wanted(job({ name: "x" }), "ns/x"));
    assert.ok(tokens.wanted(job({ name: "x", made: "rb" }), "ns/x"), "a job with a token made (after a restart) is watched for its completion");
    // A job event of a job whose token is asked for brings it to the queue (its completion revokes it).
    c.watches.jobs!("update", { obj: job({ name: "a", state: "Completed" }), key: "ns/a", poolKey: "ns/p", wasSchedulable: true });
    c.watches.jobs!("update", { obj: job({ name: "q" }), key: "ns/q", poolKey: "ns/p", wasSchedulable: true });
    assert.deepEqual(added, ["ns/a", "ns/b", "ns/d", "ns/a"]);
  });
});
