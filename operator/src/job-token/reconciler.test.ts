import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KubernetesObject, KubernetesObjectApi, V1RoleBinding, V1Secret } from "@kubernetes/client-node";
import type { JobObject } from "../../../kube/objects.ts";
import { cache, fakeApi } from "../controller/reconcile-harness.ts";
import { jobTokenController } from "./controller.ts";
import { makeJobTokens, type JobTokens } from "./reconciler.ts";

const job = (opts: { token?: boolean; state?: string; uid?: string; name?: string } = {}) =>
  ({
    apiVersion: "kubatch.dev/v1alpha1",
    kind: "Job",
    metadata: { name: opts.name ?? "j", namespace: "ns", uid: opts.uid ?? "u1" },
    spec: { poolInfo: { poolId: "p" }, ...(opts.token !== undefined ? { jobManagerTask: { id: "jm", commandLine: "x", ...(opts.token ? { authenticationTokenSettings: { access: ["job"] } } : {}) } } : {}) },
    status: { state: opts.state ?? "Active" },
  }) as unknown as JobObject;

/** create/delete as `verb Kind name`, answering `fail` (by kind) with its status code. */
function objectsApi(fail: Record<string, number> = {}) {
  const calls: string[] = [];
  const made: KubernetesObject[] = [];
  const answer = (verb: string) => async (obj: KubernetesObject) => {
    calls.push(`${verb} ${obj.kind} ${obj.metadata?.name}`);
    const code = fail[`${verb} ${obj.kind}`];
    if (code) throw Object.assign(new Error(String(code)), { code });
    if (verb === "create") made.push(obj);
    return obj;
  };
  return { calls, made, objects: { create: answer("create"), delete: answer("delete") } as unknown as Pick<KubernetesObjectApi, "create" | "delete"> };
}

const created = ["create ServiceAccount kubatch-job-j", "create Secret kubatch-job-j-token", "create RoleBinding kubatch-job-j"];

describe("job tokens", () => {
  type Step = (t: JobTokens, jobs: JobObject[]) => unknown;
  const reconcile: Step = (t) => t.reconcile("ns/j");
  const cases: Record<string, { jobs: JobObject[]; steps: Step[]; clusterRole?: string | null; fail?: Record<string, number>; calls: string[]; events?: string[] }> = {
    "a job manager task that asks: ServiceAccount, Secret, RoleBinding, once": { jobs: [job({ token: true })], steps: [reconcile, reconcile], calls: created, events: ["JobTokenCreated"] },
    "nobody asks: nothing": { jobs: [job({ token: false })], steps: [reconcile], calls: [] },
    "a task of the job asks: made": { jobs: [job()], steps: [(t) => t.request("ns/j"), reconcile], calls: created },
    "already there (another operator process made them): 409 is fine": { jobs: [job({ token: true })], steps: [reconcile], fail: { "create ServiceAccount": 409, "create Secret": 409, "create RoleBinding": 409 }, calls: created },
    "a refused create is an error (retried by the queue)": { jobs: [job({ token: true })], steps: [(t) => assert.rejects(t.reconcile("ns/j"), /403/)], fail: { "create Secret": 403 }, calls: created.slice(0, 2) },
    "the job completed: the RoleBinding deleted, once": { jobs: [job({ token: true, state: "Completed" })], steps: [reconcile, reconcile], calls: ["delete RoleBinding kubatch-job-j"] },
    "completed with the binding gone already: fine": { jobs: [job({ token: true, state: "Completed" })], steps: [reconcile], fail: { "delete RoleBinding": 404 }, calls: ["delete RoleBinding kubatch-job-j"] },
    "made, then completed: made, then revoked": {
      jobs: [job({ token: true })],
      steps: [reconcile, (_t, jobs) => (jobs[0] = job({ token: true, state: "Completed" })), reconcile],
      calls: [...created, "delete RoleBinding kubatch-job-j"],
    },
    "a job made again under the name (another uid): its own token": {
      jobs: [job({ token: true })],
      steps: [reconcile, (_t, jobs) => (jobs[0] = job({ token: true, uid: "u2" })), reconcile],
      calls: [...created, ...created],
      events: ["JobTokenCreated", "JobTokenCreated"],
    },
    "no ClusterRole configured: a Warning once, nothing made": { jobs: [job({ token: true })], clusterRole: null, steps: [reconcile, reconcile], calls: [], events: ["JobTokenUnavailable"] },
    "the job is gone: nothing (its objects go with it)": { jobs: [], steps: [(t) => t.request("ns/j"), reconcile], calls: [] },
  };
  for (const [name, tc] of Object.entries(cases)) {
    it(name, async () => {
      const api = objectsApi(tc.fail);
      const events = fakeApi();
      const jobs = [...tc.jobs];
      const tokens = makeJobTokens({ jobs: cache(() => jobs), objects: api.objects, clusterRole: tc.clusterRole === null ? undefined : (tc.clusterRole ?? "job-token.kubatch.dev"), events: events.recorder });
      for (const step of tc.steps) await step(tokens, jobs);
      assert.deepEqual(api.calls, tc.calls);
      assert.deepEqual(events.events.map((e) => e.reason), tc.events ?? (tc.calls[0]?.startsWith("create") && !tc.fail ? ["JobTokenCreated"] : []));
    });
  }

  it("what it makes: owned by the job, the Secret names the ServiceAccount, the binding names the ClusterRole", async () => {
    const api = objectsApi();
    const tokens = makeJobTokens({ jobs: cache([job({ token: true })]), objects: api.objects, clusterRole: "kubatch-job-token", events: fakeApi().recorder });
    await tokens.reconcile("ns/j");
    for (const obj of api.made) {
      assert.equal(obj.metadata?.namespace, "ns");
      assert.deepEqual(obj.metadata?.ownerReferences, [{ apiVersion: "kubatch.dev/v1alpha1", kind: "Job", name: "j", uid: "u1", controller: true, blockOwnerDeletion: true }]);
    }
    const secret = api.made[1] as V1Secret;
    assert.equal(secret.type, "kubernetes.io/service-account-token");
    assert.deepEqual(secret.metadata?.annotations, { "kubernetes.io/service-account.name": "kubatch-job-j" });
    const binding = api.made[2] as V1RoleBinding;
    assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "kubatch-job-token" });
    assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "kubatch-job-j", namespace: "ns" }]);
  });

  it("the controller: a task or collection asking enqueues its job; a container task, a deleted one or one not asking does not", () => {
    const added: string[] = [];
    const tokens = makeJobTokens({ jobs: cache<JobObject>([]), objects: objectsApi().objects, clusterRole: "r", events: fakeApi().recorder });
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
    // A job event of a job whose token is asked for brings it to the queue (its completion revokes it).
    c.watches.jobs!("update", { obj: job({ name: "a", state: "Completed" }), key: "ns/a", poolKey: "ns/p", wasSchedulable: true });
    c.watches.jobs!("update", { obj: job({ name: "q" }), key: "ns/q", poolKey: "ns/p", wasSchedulable: true });
    assert.deepEqual(added, ["ns/a", "ns/b", "ns/d", "ns/a"]);
  });
});
