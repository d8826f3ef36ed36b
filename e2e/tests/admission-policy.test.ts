// The Task admission policies (api/admission-policy.ts, applied from the chart's files as the
// local deploy applies them) and the narrowed node identity, against the real API server:
// - whoever may patch Tasks cannot set, change or create the node label or the assignment
//   annotation (refused, the message names the field), but may remove both together, as
//   `kubatch task reactivate` does;
// - the operator still assigns and the agents still report: a task on a warm pool completes;
// - a kubatch-node token bound to pod A cannot write the status of a task assigned to pod B,
//   can for its own, and a token bound to no pod writes none;
// - the node Role (node-identity/node-rbac.ts) lets that token read the Secret it names and
//   no other.
// The policies are cluster-wide: applied here only when the cluster lacks them (a deploy from
// before them), and then removed again afterwards.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AdmissionregistrationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, RbacAuthorizationV1Api, type V1Pod } from "@kubernetes/client-node";
import { assignmentPolicyName, nodePodPolicyName, nodeStatusPolicyName, taskAdmissionPolicies } from "../../api/admission-policy.ts";
import { GROUP, VERSION } from "../../api/group.ts";
import { nodeServiceAccount } from "../../api/identities.ts";
import { assignmentAnnotation, nodeLabel, startTaskInfoAnnotation } from "../../api/labels.ts";
import { makeWriter, mergePatch } from "../../kube/apply.ts";
import { errorMessage, httpStatus } from "../../kube/errors.ts";
import { admissionPolicyFiles, applyManifests } from "../../local-cluster/deploy-local.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { nodeRbac } from "../../operator/src/node-identity/node-rbac.ts";
import { kubeConfig, kubectlPath, noCluster } from "./support/cluster.ts";
import { Kubatch } from "./support/kubatch.ts";
import { testNamespace } from "./support/namespace.ts";

const tasks = { group: GROUP, version: VERSION, plural: "tasks" };

/** The status code and message of a refused call (undefined: it was not refused). */
async function refusal(call: Promise<unknown>): Promise<{ code?: number; message: string } | undefined> {
  try {
    await call;
    return undefined;
  } catch (err) {
    return { code: httpStatus(err), message: errorMessage(err) };
  }
}

describe("Task admission policies and the node identity", { skip: noCluster }, () => {
  let kc: KubeConfig;
  let policies: AdmissionregistrationV1Api;
  let applied = false;
  type Namespace = { name: string; remove: () => Promise<void> };
  let poolNs: Namespace;
  let ns: Namespace;
  let admin: CustomObjectsApi;
  const tokens: Record<string, string> = {};

  /** A client that authenticates with `token` on the test's cluster. */
  const as = (token: string) => {
    const cluster = kc.getCurrentCluster()!;
    const c = new KubeConfig();
    c.loadFromOptions({ clusters: [cluster], users: [{ name: "t", token }], contexts: [{ name: "t", cluster: cluster.name, user: "t" }], currentContext: "t" });
    return { custom: c.makeApiClient(CustomObjectsApi), core: c.makeApiClient(CoreV1Api) };
  };
  const patchMeta = (client: CustomObjectsApi, name: string, metadata: object) => client.patchNamespacedCustomObject({ ...tasks, namespace: ns.name, name, body: { metadata } }, mergePatch);
  const patchStatus = (client: CustomObjectsApi, name: string) =>
    client.patchNamespacedCustomObjectStatus({ ...tasks, namespace: ns.name, name, body: { status: { state: "Running", stateTransitionTime: new Date().toISOString() } } }, mergePatch);
  const createTask = (client: CustomObjectsApi, name: string, metadata: object = {}) =>
    client.createNamespacedCustomObject({ ...tasks, namespace: ns.name, body: { apiVersion: `${GROUP}/${VERSION}`, kind: "Task", metadata: { name, ...metadata }, spec: { jobName: "none", commandLine: "true" } } });

  before(async () => {
    kc = kubeConfig();
    policies = kc.makeApiClient(AdmissionregistrationV1Api);
    admin = kc.makeApiClient(CustomObjectsApi);
    const present = await policies.readValidatingAdmissionPolicy({ name: assignmentPolicyName }).then(() => true, () => false);
    if (!present) {
      applyManifests(kubectlPath(), process.env.KUBECONFIG!, admissionPolicyFiles());
      applied = true;
    }
    [poolNs, ns] = await Promise.all([testNamespace(kc, "vap-pool"), testNamespace(kc, "vap")]);
    const core = kc.makeApiClient(CoreV1Api);
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);

    // This namespace has no pool: nobody but the test writes its node identity (the narrowed
    // Role, applied as the operator does) or its tasks (their job does not exist).
    const writer = makeWriter(kc);
    for (const obj of nodeRbac(ns.name, ["named"], { podAnnotation: true })) await writer.apply(obj);
    for (const name of ["named", "unnamed"]) await core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name }, stringData: { key: name } } });
    // Pods that never run (no node matches), only for their tokens' pod claims.
    const pods: Record<string, V1Pod> = {};
    for (const name of ["node-a", "node-b"]) {
      pods[name] = await core.createNamespacedPod({
        namespace: ns.name,
        body: { metadata: { name }, spec: { serviceAccountName: nodeServiceAccount, nodeSelector: { "kubatch.dev/test-no-such-node": "true" }, containers: [{ name: "c", image: "busybox" }] } },
      });
      const t = await core.createNamespacedServiceAccountToken({
        name: nodeServiceAccount,
        namespace: ns.name,
        body: { spec: { audiences: [], expirationSeconds: 600, boundObjectRef: { apiVersion: "v1", kind: "Pod", name, uid: pods[name]!.metadata!.uid } } },
      });
      tokens[name] = t.status!.token!;
    }
    tokens.unbound = (await core.createNamespacedServiceAccountToken({ name: nodeServiceAccount, namespace: ns.name, body: { spec: { audiences: [], expirationSeconds: 600 } } })).status!.token!;
    // A user who may do anything to Tasks (their spec and labels), as the chart's edit role allows.
    await core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: "user" } } });
    await rbac.createNamespacedRole({ namespace: ns.name, body: { metadata: { name: "user" }, rules: [{ apiGroups: [GROUP], resources: ["tasks"], verbs: ["get", "list", "create", "update", "patch", "delete"] }] } });
    await rbac.createNamespacedRoleBinding({ namespace: ns.name, body: { metadata: { name: "user" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "user" }, subjects: [{ kind: "ServiceAccount", name: "user", namespace: ns.name }] } });
    tokens.user = (await core.createNamespacedServiceAccountToken({ name: "user", namespace: ns.name, body: { spec: { audiences: [], expirationSeconds: 600 } } })).status!.token!;

    // The cluster admin holds every verb, "assign" included: it may assign, as the local operator does.
    await createTask(admin, "for-a", { labels: { [nodeLabel]: "node-a" }, annotations: { [assignmentAnnotation]: "a-1" } });
    await createTask(admin, "for-b", { labels: { [nodeLabel]: "node-b" }, annotations: { [assignmentAnnotation]: "b-1" } });
    await createTask(admin, "free");
  });

  after(async () => {
    await Promise.all([poolNs, ns].map((n) => n?.remove()));
    if (applied) {
      for (const obj of taskAdmissionPolicies().reverse()) {
        const name = { name: obj.metadata.name };
        await (obj.kind === "ValidatingAdmissionPolicy" ? policies.deleteValidatingAdmissionPolicy(name) : policies.deleteValidatingAdmissionPolicyBinding(name)).catch(() => undefined);
      }
    }
  });

  test("the API server type-checks every expression of every policy without a warning", async () => {
    for (const name of [assignmentPolicyName, nodeStatusPolicyName, nodePodPolicyName]) {
      const p = await eventually(`policy ${name} type-checked`, 30_000, async () => {
        const got = await policies.readValidatingAdmissionPolicy({ name });
        return got.status?.observedGeneration === got.metadata?.generation ? got : undefined;
      });
      assert.ok(p.status?.typeChecking, `${name}: type-checked`);
      assert.deepEqual(p.status.typeChecking.expressionWarnings ?? [], [], name);
    }
  });

  test("a user cannot set, change or create the assignment; removing label and annotation together works", async () => {
    const user = as(tokens.user!).custom;
    // The policy and the user's Role take a moment to reach the API server's caches.
    const first = await eventually("the user's label patch refused by the policy", 30_000, async () => {
      const r = await refusal(patchMeta(user, "free", { labels: { [nodeLabel]: "node-a" } }));
      return r && /ValidatingAdmissionPolicy/.test(r.message) ? r : undefined;
    });
    assert.equal(first.code, 403);
    assert.match(first.message, /metadata\.labels\[kubatch\.dev\/node\]: only the kubatch operator/);

    const cases: Record<string, { call: () => Promise<unknown>; refused?: RegExp }> = {
      "assignment annotation set": { call: () => patchMeta(user, "free", { annotations: { [assignmentAnnotation]: "x" } }), refused: /metadata\.annotations\[kubatch\.dev\/assignment\]: only the kubatch operator/ },
      "node label changed": { call: () => patchMeta(user, "for-a", { labels: { [nodeLabel]: "node-b" } }), refused: /metadata\.labels\[kubatch\.dev\/node\]/ },
      "task created assigned": { call: () => createTask(user, "sneaky", { labels: { [nodeLabel]: "node-a" } }), refused: /metadata\.labels\[kubatch\.dev\/node\]/ },
      "label removed, annotation kept": { call: () => patchMeta(user, "for-a", { labels: { [nodeLabel]: null } }), refused: /metadata\.labels\[kubatch\.dev\/node\]: .*together/ },
      "another label: allowed": { call: () => patchMeta(user, "for-a", { labels: { team: "ocr" } }) },
      "a task created unassigned: allowed": { call: () => createTask(user, "plain") },
      "label and annotation removed together (reactivate): allowed": { call: () => patchMeta(user, "for-b", { labels: { [nodeLabel]: null }, annotations: { [assignmentAnnotation]: null } }) },
    };
    for (const [name, tc] of Object.entries(cases)) {
      const r = await refusal(tc.call());
      if (tc.refused) {
        assert.equal(r?.code, 403, `${name}: ${r?.message ?? "allowed"}`);
        assert.match(r!.message, tc.refused, name);
      } else {
        assert.equal(r, undefined, `${name}: ${r?.message}`);
      }
    }
    // The admin (the operator's rights) assigns again.
    await patchMeta(admin, "for-b", { labels: { [nodeLabel]: "node-b" }, annotations: { [assignmentAnnotation]: "b-2" } });
  });

  test("a node agent's token writes the status of its own pod's task only; a token bound to no pod writes none", async () => {
    const a = as(tokens["node-a"]!).custom;
    await eventually("node-a writes its own task's status", 30_000, async () => ((await refusal(patchStatus(a, "for-a"))) === undefined ? true : undefined));

    const other = await refusal(patchStatus(a, "for-b"));
    assert.equal(other?.code, 403, other?.message ?? "allowed");
    assert.match(other!.message, /metadata\.labels\[kubatch\.dev\/node\] is "node-b": the node agent of pod "node-a" writes the status of tasks assigned to it only/);
    const unassigned = await refusal(patchStatus(a, "free"));
    assert.equal(unassigned?.code, 403, unassigned?.message ?? "allowed");

    assert.equal(await refusal(patchStatus(as(tokens["node-b"]!).custom, "for-b")), undefined);
    const unbound = await refusal(patchStatus(as(tokens.unbound!).custom, "for-a"));
    assert.equal(unbound?.code, 403, unbound?.message ?? "allowed");
    assert.match(unbound!.message, /status: a node agent writes task status with a token bound to its pod/);
    // Not a node agent: the policy leaves the admin's (the operator's) status writes alone.
    assert.equal(await refusal(patchStatus(admin, "for-b")), undefined);
  });

  test("a node agent's token changes its own pod's start-task-info annotation and nothing else", async () => {
    const core = as(tokens["node-a"]!).core;
    const patchPod = (name: string, metadata: object) => core.patchNamespacedPod({ name, namespace: ns.name, body: { metadata } }, mergePatch);
    const info = JSON.stringify({ state: "Running", retryCount: 0 });
    await eventually("node-a annotates its own pod", 30_000, async () => ((await refusal(patchPod("node-a", { annotations: { [startTaskInfoAnnotation]: info } }))) === undefined ? true : undefined));
    const pod = await kc.makeApiClient(CoreV1Api).readNamespacedPod({ name: "node-a", namespace: ns.name });
    assert.equal(pod.metadata?.annotations?.[startTaskInfoAnnotation], info);
    const cases: Record<string, [string, object, RegExp]> = {
      "another pod": ["node-b", { annotations: { [startTaskInfoAnnotation]: info } }, /a node agent changes its own pod only \(its token is bound to "node-a"\), not "node-b"/],
      "another annotation": ["node-a", { annotations: { "example.com/owner": "me" } }, /a node agent changes only this annotation of its pod/],
      "a label": ["node-a", { labels: { "kubatch.dev/pool": "stolen" } }, /a node agent changes only this annotation of its pod/],
      "a finalizer": ["node-a", { finalizers: ["example.com/keep"] }, /a node agent changes only this annotation of its pod/],
    };
    for (const [name, [target, metadata, message]] of Object.entries(cases)) {
      const r = await refusal(patchPod(target, metadata));
      assert.equal(r?.code, 403, `${name}: ${r?.message ?? "allowed"}`);
      assert.match(r!.message, message, name);
    }
    const unbound = await refusal(as(tokens.unbound!).core.patchNamespacedPod({ name: "node-a", namespace: ns.name, body: { metadata: { annotations: { [startTaskInfoAnnotation]: info } } } }, mergePatch));
    assert.equal(unbound?.code, 403, unbound?.message ?? "allowed");
    assert.equal(await refusal(as(tokens["node-a"]!).core.readNamespacedPod({ name: "node-a", namespace: ns.name })).then((r) => r?.code), 403, "patch, not read");
  });

  test("the node Role lets an agent read the Secret a task names, and no other", async () => {
    const core = as(tokens["node-a"]!).core;
    const named = await eventually("the named Secret", 30_000, async () => core.readNamespacedSecret({ name: "named", namespace: ns.name }).catch(() => undefined));
    assert.equal(Buffer.from(named.data!.key!, "base64").toString(), "named");
    const unnamed = await refusal(core.readNamespacedSecret({ name: "unnamed", namespace: ns.name }));
    assert.equal(unnamed?.code, 403, unnamed?.message ?? "read");
    const list = await refusal(core.listNamespacedSecret({ namespace: ns.name }));
    assert.equal(list?.code, 403, list?.message ?? "listed");
    const pods = await refusal(core.listNamespacedPod({ namespace: ns.name }));
    assert.equal(pods?.code, 403, pods?.message ?? "listed pods");
  });

  test("the operator still assigns and the agents still report: a task on a warm pool completes with Success", { timeout: 240_000 }, async () => {
    const k = new Kubatch(kc, poolNs.name);
    await k.warmPool("p", 1);
    await k.create("Job", "j", { poolInfo: { poolId: "p" } });
    await k.create("Task", "t", { jobName: "j", commandLine: `/bin/sh -c "sleep 0.5; echo done"` });
    const t = await eventually("task t completed", 120_000, async () => {
      const got = await k.task("t");
      return got.status?.state === "Completed" ? got : undefined;
    });
    assert.equal(t.status?.executionInfo?.result, "Success", JSON.stringify(t.status));
    assert.equal(t.status?.executionInfo?.exitCode, 0);
    assert.ok(t.metadata.labels?.[nodeLabel]?.startsWith("p-dedicated-"), `assigned to a node pod: ${t.metadata.labels?.[nodeLabel]}`);
  });
});
