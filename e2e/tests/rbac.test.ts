// Least privilege, checked against the real API server's RBAC authorizer:
// - the chart's operator ServiceAccount may do what the operator does (watch kubatch objects
//   and their node pods cluster-wide, write status, own Deployments and NetworkPolicies, apply the node agents'
//   identity, run container tasks' Pods, create job manager Tasks, delete Tasks after their retentionTime, create job tokens'
//   ServiceAccounts, Secrets and RoleBindings and delete those RoleBindings) and nothing more (no reading or changing Secrets,
//   no exec into Pods, no RBAC beyond the Role named kubatch-node and binding the job-token ClusterRole);
// - a node agent (ServiceAccount kubatch-node, made by the operator when a Pool exists in a
//   namespace) reads its own namespace's tasks and jobs and writes only task status: it cannot
//   read another namespace's tasks nor modify a Pool; it gets only the Secrets the namespace's
//   tasks and jobs name, and no Pods or logs (container tasks' upload has kubatch-upload);
// - namespace editors and viewers get kubatch objects through the aggregated roles.
// The chart is installed with replicas=0 and crds.install=false (see helm.test.ts for why).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { nodeServiceAccount, uploadServiceAccount } from "../../api/identities.ts";
import { nodeRbac, uploadRbac } from "../../operator/src/node-identity/node-rbac.ts";
import { fieldManager } from "../../kube/apply.ts";
import { chartDir, helm, helmForTests, setArgs } from "../helm/chart.ts";
import { run, show } from "./support/run.ts";
import { kubeConfig, kubectlPath, noCluster } from "./support/cluster.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { Kubatch } from "./support/kubatch.ts";
import { testNamespace } from "./support/namespace.ts";

const found = noCluster ? { skip: noCluster } : await helmForTests();

type Where = "pool-ns" | "other-ns" | "release-ns" | "all";
type Check = [verb: string, resource: string, where: Where, allowed: boolean, subresource?: string];

/** The operator (system:serviceaccount:<release ns>:<chart SA>). */
const operatorChecks: Record<string, Check> = {
  "list pools everywhere": ["list", "pools.kubatch.dev", "all", true],
  "watch workitems everywhere": ["watch", "workitems.kubatch.dev", "all", true],
  "watch jobs everywhere": ["watch", "jobs.kubatch.dev", "all", true],
  "watch tasks everywhere": ["watch", "tasks.kubatch.dev", "all", true],
  "patch task labels (assignment)": ["patch", "tasks.kubatch.dev", "other-ns", true],
  "assign tasks (what the admission policy asks for)": ["assign", "tasks.kubatch.dev", "other-ns", true],
  "patch task status": ["patch", "tasks.kubatch.dev", "other-ns", true, "status"],
  "patch pool status": ["patch", "pools.kubatch.dev", "other-ns", true, "status"],
  "patch job status": ["patch", "jobs.kubatch.dev", "other-ns", true, "status"],
  "patch work item status": ["patch", "workitems.kubatch.dev", "other-ns", true, "status"],
  "watch task collections everywhere": ["watch", "taskcollections.kubatch.dev", "all", true],
  "patch task collection status": ["patch", "taskcollections.kubatch.dev", "other-ns", true, "status"],
  "patch pools (finalizer)": ["patch", "pools.kubatch.dev", "other-ns", true],
  "update pool finalizers (blockOwnerDeletion)": ["update", "pools.kubatch.dev", "other-ns", true, "finalizers"],
  "create jobs for work items": ["create", "jobs.kubatch.dev", "other-ns", true],
  "watch deployments everywhere": ["watch", "deployments.apps", "all", true],
  "create deployments": ["create", "deployments.apps", "other-ns", true],
  "delete deployments": ["delete", "deployments.apps", "other-ns", true],
  "watch pools' NetworkPolicies everywhere": ["watch", "networkpolicies.networking.k8s.io", "all", true],
  "apply a pool's NetworkPolicy (server-side apply)": ["patch", "networkpolicies.networking.k8s.io", "other-ns", true],
  "create a pool's NetworkPolicy (server-side apply)": ["create", "networkpolicies.networking.k8s.io", "other-ns", true],
  "delete a pool's NetworkPolicy (nodeNetworkPolicy off)": ["delete", "networkpolicies.networking.k8s.io", "other-ns", true],
  "watch pods everywhere": ["watch", "pods", "all", true],
  "patch pods (deletion cost)": ["patch", "pods", "other-ns", true],
  "create events": ["create", "events", "other-ns", true],
  "list events (release outcomes, for auto pools)": ["list", "events", "other-ns", true],
  "apply the node ServiceAccount": ["patch", `serviceaccounts/${nodeServiceAccount}`, "other-ns", true],
  "apply the node Role": ["patch", `roles.rbac.authorization.k8s.io/${nodeServiceAccount}`, "other-ns", true],
  "escalate into the node Role": ["escalate", `roles.rbac.authorization.k8s.io/${nodeServiceAccount}`, "other-ns", true],
  "bind the node Role": ["bind", `roles.rbac.authorization.k8s.io/${nodeServiceAccount}`, "other-ns", true],
  "apply the node RoleBinding": ["patch", `rolebindings.rbac.authorization.k8s.io/${nodeServiceAccount}`, "other-ns", true],
  "create the node Role by name (server-side apply)": ["create", `roles.rbac.authorization.k8s.io/${nodeServiceAccount}`, "other-ns", true],
  "apply the upload ServiceAccount": ["patch", `serviceaccounts/${uploadServiceAccount}`, "other-ns", true],
  "apply the upload Role": ["patch", `roles.rbac.authorization.k8s.io/${uploadServiceAccount}`, "other-ns", true],
  "apply the upload RoleBinding": ["patch", `rolebindings.rbac.authorization.k8s.io/${uploadServiceAccount}`, "other-ns", true],
  "no escalating the upload Role (it holds its rules)": ["escalate", `roles.rbac.authorization.k8s.io/${uploadServiceAccount}`, "other-ns", false],
  "take the leader Lease": ["create", "leases.coordination.k8s.io", "release-ns", true],
  "renew the leader Lease": ["update", "leases.coordination.k8s.io", "release-ns", true],
  // …and nothing more.
  "no Secrets in a namespace": ["get", "secrets", "other-ns", false],
  "no Secrets anywhere": ["list", "secrets", "all", false],
  "create container tasks' Pods": ["create", "pods", "other-ns", true],
  "delete container tasks' Pods": ["delete", "pods", "other-ns", true],
  "read container tasks' logs": ["get", "pods", "other-ns", true, "log"],
  "update task finalizers (blockOwnerDeletion)": ["update", "tasks.kubatch.dev", "other-ns", true, "finalizers"],
  "no exec into Pods": ["create", "pods", "other-ns", false, "exec"],
  "create job manager tasks (server-side apply)": ["create", "tasks.kubatch.dev", "other-ns", true],
  "delete Tasks whose retentionTime ran out": ["delete", "tasks.kubatch.dev", "other-ns", true],
  "create auto pools (server-side apply)": ["create", "pools.kubatch.dev", "other-ns", true],
  "delete auto pools when their lifetime ends": ["delete", "pools.kubatch.dev", "other-ns", true],
  "no deleting Jobs": ["delete", "jobs.kubatch.dev", "other-ns", false],
  "no writing WorkItem specs": ["patch", "workitems.kubatch.dev", "other-ns", false],
  "patch TaskCollections (their job as owner reference)": ["patch", "taskcollections.kubatch.dev", "other-ns", true],
  "no deleting TaskCollections": ["delete", "taskcollections.kubatch.dev", "other-ns", false],
  "no other ServiceAccounts": ["patch", "serviceaccounts/default", "other-ns", false],
  "no ServiceAccount tokens": ["create", `serviceaccounts/${nodeServiceAccount}`, "other-ns", false, "token"],
  "no other Roles": ["patch", "roles.rbac.authorization.k8s.io/admin", "other-ns", false],
  "no escalating other Roles": ["escalate", "roles.rbac.authorization.k8s.io/admin", "other-ns", false],
  "no binding ClusterRoles": ["bind", "clusterroles.rbac.authorization.k8s.io/cluster-admin", "other-ns", false],
  "no other RoleBindings": ["patch", "rolebindings.rbac.authorization.k8s.io/admin", "other-ns", false],
  "no Roles by POST (no name)": ["create", "roles.rbac.authorization.k8s.io", "other-ns", false],
  // Job tokens (authenticationTokenSettings): per job names, so plain creates of any name —
  // never a read or a change of an existing ServiceAccount or Secret.
  "create job tokens' ServiceAccounts (POST)": ["create", "serviceaccounts", "other-ns", true],
  "create job tokens' Secrets (POST)": ["create", "secrets", "other-ns", true],
  "no changing Secrets": ["patch", "secrets/storage", "other-ns", false],
  "no deleting Secrets": ["delete", "secrets/storage", "other-ns", false],
  "no changing ServiceAccounts it did not name": ["update", "serviceaccounts/default", "other-ns", false],
  "read a ServiceAccount (whose job token it is)": ["get", "serviceaccounts/kubatch-job-j", "other-ns", true],
  "read a RoleBinding (whose job token it is)": ["get", "rolebindings.rbac.authorization.k8s.io/kubatch-job-j", "other-ns", true],
  "no changing RoleBindings": ["patch", "rolebindings.rbac.authorization.k8s.io/kubatch-job-j", "other-ns", false],
  "create job tokens' RoleBindings (POST)": ["create", "rolebindings.rbac.authorization.k8s.io", "other-ns", true],
  "delete a job token's RoleBinding (the job completed)": ["delete", "rolebindings.rbac.authorization.k8s.io/kubatch-job-j", "other-ns", true],
  "no ClusterRoles": ["create", "clusterroles.rbac.authorization.k8s.io", "all", false],
  "no ClusterRoleBindings": ["create", "clusterrolebindings.rbac.authorization.k8s.io", "all", false],
  "no Leases elsewhere": ["create", "leases.coordination.k8s.io", "other-ns", false],
  "no ConfigMaps": ["get", "configmaps", "other-ns", false],
  "no CRDs": ["update", "customresourcedefinitions.apiextensions.k8s.io", "all", false],
  "no Namespaces": ["delete", "namespaces", "all", false],
  "no impersonation": ["impersonate", "users", "all", false],
  "impersonate the node ServiceAccount (a collection's blob credentials)": ["impersonate", `serviceaccounts/${nodeServiceAccount}`, "other-ns", true],
  "no impersonating other ServiceAccounts": ["impersonate", "serviceaccounts/default", "other-ns", false],
  "no impersonating groups": ["impersonate", "groups", "all", false],
  "no wildcard": ["*", "*", "all", false],
};

/** A node agent of the pool's namespace (system:serviceaccount:<pool ns>:kubatch-node). */
const agentChecks: Record<string, Check> = {
  "get its namespace's tasks": ["get", "tasks.kubatch.dev", "pool-ns", true],
  "watch its namespace's tasks": ["watch", "tasks.kubatch.dev", "pool-ns", true],
  "list its namespace's jobs": ["list", "jobs.kubatch.dev", "pool-ns", true],
  "patch task status": ["patch", "tasks.kubatch.dev", "pool-ns", true, "status"],
  "read the Secret a task names": ["get", "secrets/storage", "pool-ns", true],
  "no Secret no task names": ["get", "secrets/other", "pool-ns", false],
  "no assigning tasks": ["assign", "tasks.kubatch.dev", "pool-ns", false],
  "record events": ["create", "events", "pool-ns", true],
  "no tasks of another namespace (get)": ["get", "tasks.kubatch.dev", "other-ns", false],
  "no tasks of another namespace (list)": ["list", "tasks.kubatch.dev", "other-ns", false],
  "no tasks of every namespace": ["list", "tasks.kubatch.dev", "all", false],
  "no task status in another namespace": ["patch", "tasks.kubatch.dev", "other-ns", false, "status"],
  "no task specs or labels": ["patch", "tasks.kubatch.dev", "pool-ns", false],
  "no creating tasks": ["create", "tasks.kubatch.dev", "pool-ns", false],
  "no deleting tasks": ["delete", "tasks.kubatch.dev", "pool-ns", false],
  "no modifying a Pool (patch)": ["patch", "pools.kubatch.dev", "pool-ns", false],
  "no modifying a Pool (update)": ["update", "pools.kubatch.dev", "pool-ns", false],
  "no deleting a Pool": ["delete", "pools.kubatch.dev", "pool-ns", false],
  "no Pool status": ["patch", "pools.kubatch.dev", "pool-ns", false, "status"],
  "no resizing a Pool": ["update", "pools.kubatch.dev", "pool-ns", false, "scale"],
  "no job writes": ["patch", "jobs.kubatch.dev", "pool-ns", false],
  "no job status": ["patch", "jobs.kubatch.dev", "pool-ns", false, "status"],
  "no listing Secrets": ["list", "secrets", "pool-ns", false],
  "no Secrets of another namespace": ["get", "secrets", "other-ns", false],
  "no Pods": ["create", "pods", "pool-ns", false],
  "no reading Pods": ["get", "pods", "pool-ns", false],
  "no Pod logs": ["get", "pods", "pool-ns", false, "log"],
  "no Pods of another namespace": ["get", "pods", "other-ns", false],
  "no Deployments": ["patch", "deployments.apps", "pool-ns", false],
  "no lifting its pool's NetworkPolicy": ["delete", "networkpolicies.networking.k8s.io", "pool-ns", false],
  "no RBAC": ["patch", `roles.rbac.authorization.k8s.io/${nodeServiceAccount}`, "pool-ns", false],
};

/** Container tasks' upload container (system:serviceaccount:<pool ns>:kubatch-upload). */
const uploadChecks: Record<string, Check> = {
  "watch its Pod": ["watch", "pods", "pool-ns", true],
  "read the task container's log": ["get", "pods", "pool-ns", true, "log"],
  "no task status": ["patch", "tasks.kubatch.dev", "pool-ns", false, "status"],
  "no Secrets": ["get", "secrets/storage", "pool-ns", false],
  "no Pods of another namespace": ["get", "pods", "other-ns", false],
};

/** People: a namespace editor (alice) and viewer (bob) of the pool's namespace. */
const userChecks: Record<string, [user: string, ...Check]> = {
  "editor creates tasks": ["alice", "create", "tasks.kubatch.dev", "pool-ns", true],
  "editor resizes a pool": ["alice", "update", "pools.kubatch.dev", "pool-ns", true, "scale"],
  "editor deletes jobs": ["alice", "delete", "jobs.kubatch.dev", "pool-ns", true],
  "editor cannot forge task status": ["alice", "patch", "tasks.kubatch.dev", "pool-ns", false, "status"],
  "editor only in their namespace": ["alice", "create", "tasks.kubatch.dev", "other-ns", false],
  "editor cannot assign tasks": ["alice", "assign", "tasks.kubatch.dev", "pool-ns", false],
  "editor creates task collections": ["alice", "create", "taskcollections.kubatch.dev", "pool-ns", true],
  "editor cannot forge task collection status": ["alice", "patch", "taskcollections.kubatch.dev", "pool-ns", false, "status"],
  "viewer lists tasks": ["bob", "list", "tasks.kubatch.dev", "pool-ns", true],
  "viewer lists task collections": ["bob", "list", "taskcollections.kubatch.dev", "pool-ns", true],
  "viewer cannot create tasks": ["bob", "create", "tasks.kubatch.dev", "pool-ns", false],
};

describe("RBAC of the chart's operator and of node agents", { skip: found.skip }, () => {
  const bin = found.helm!;
  const kc = noCluster ? undefined : kubeConfig();
  const release = `kubatch-rbac-${Math.random().toString(36).slice(2, 7)}`;
  type Namespace = { name: string; remove: () => Promise<void> };
  let releaseNs: Namespace;
  let poolNs: Namespace;
  let otherNs: Namespace;
  let applyNs: Namespace;
  const operatorSA = () => `system:serviceaccount:${releaseNs.name}:${release}`;
  const agentSA = (ns: string) => `system:serviceaccount:${ns}:${nodeServiceAccount}`;
  const kubectl = (args: string[], input?: string) => run(kubectlPath(), args, 60_000, process.env, input);

  const where = (w: Where): string[] =>
    w === "all" ? ["--all-namespaces"] : ["--namespace", { "pool-ns": poolNs.name, "other-ns": otherNs.name, "release-ns": releaseNs.name }[w]];

  async function canI(as: string, [verb, resource, w, , subresource]: Check): Promise<boolean> {
    const r = await kubectl(["auth", "can-i", verb, resource, ...where(w), `--as=${as}`, ...(subresource ? [`--subresource=${subresource}`] : [])]);
    // Exit 0 and "yes", or exit 1 and "no"; anything else is an error of the check itself.
    if (r.code === 0 && r.stdout.trim() === "yes") return true;
    if (r.code === 1 && r.stdout.trim().startsWith("no")) return false;
    throw new Error(`kubectl auth can-i ${verb} ${resource}: ${show(r)}`);
  }

  before(async () => {
    [releaseNs, poolNs, otherNs, applyNs] = (await Promise.all(["rbac-rel", "rbac-pool", "rbac-other", "rbac-apply"].map((p) => testNamespace(kc!, p)))) as [Namespace, Namespace, Namespace, Namespace];
    const install = await helm(bin, ["install", release, chartDir, "--namespace", releaseNs.name, "--wait", "--timeout", "120s", ...setArgs({ replicas: 0, "crds.install": false })], 150_000);
    assert.equal(install.code, 0, show(install));
    // A Pool makes the (harness's) operator create the node agents' identity in its namespace,
    // and a task naming the Secret "storage" has it grant that one (the task never runs: no job).
    const k = new Kubatch(kc!, poolNs.name);
    await k.create("Pool", "agents", { vmSize: "small", targetDedicatedNodes: 0 });
    await k.create("Task", "names-storage", { jobName: "none", commandLine: "true", resourceFiles: [{ httpUrl: "http://127.0.0.1/f", filePath: "f", credentialsSecretRef: { name: "storage", key: "sas" } }] });
    const rbac = kc!.makeApiClient(RbacAuthorizationV1Api);
    const core = kc!.makeApiClient(CoreV1Api);
    await eventually(`ServiceAccount and RoleBinding ${nodeServiceAccount} in ${poolNs.name}, granting Secret storage`, 60_000, async () => {
      await core.readNamespacedServiceAccount({ name: nodeServiceAccount, namespace: poolNs.name });
      await rbac.readNamespacedRoleBinding({ name: nodeServiceAccount, namespace: poolNs.name });
      const role = await rbac.readNamespacedRole({ name: nodeServiceAccount, namespace: poolNs.name });
      return role.rules?.some((r) => r.resourceNames?.includes("storage")) ? role : undefined;
    });
    // The upload identity comes with the first container task that has output files: apply it as the operator would.
    const upload = await kubectl(["apply", "--server-side", `--field-manager=${fieldManager}`, "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: uploadRbac(poolNs.name) }));
    assert.equal(upload.code, 0, show(upload));
    for (const [user, role] of [["alice", "edit"], ["bob", "view"]] as const) {
      await rbac.createNamespacedRoleBinding({
        namespace: poolNs.name,
        body: { metadata: { name: `${user}-${role}` }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role }, subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: user }] },
      });
    }
  });

  after(async () => {
    await helm(bin, ["uninstall", release, "--namespace", releaseNs?.name ?? "default", "--wait", "--timeout", "60s"]);
    await Promise.all([releaseNs, poolNs, otherNs, applyNs].map((ns) => ns?.remove()));
  });

  describe("the operator's ServiceAccount", () => {
    for (const [name, check] of Object.entries(operatorChecks)) {
      test(`${check[3] ? "can" : "cannot"}: ${name}`, async () => {
        assert.equal(await canI(operatorSA(), check), check[3], `${check.slice(0, 3).join(" ")}${check[4] ? `/${check[4]}` : ""}`);
      });
    }

    test("binds the job tokens' ClusterRole and no other", async () => {
      assert.equal(await canI(operatorSA(), ["bind", `clusterroles.rbac.authorization.k8s.io/${release}-job-token`, "other-ns", true]), true);
      assert.equal(await canI(operatorSA(), ["bind", "clusterroles.rbac.authorization.k8s.io/edit", "other-ns", false]), false);
    });

    test("server-side applies the node agents' ServiceAccount, Role and RoleBinding (create, then update) as the operator does", async () => {
      const list = JSON.stringify({ apiVersion: "v1", kind: "List", items: [...nodeRbac(applyNs.name, ["storage"]), ...uploadRbac(applyNs.name)] });
      for (const attempt of ["create", "update"]) {
        const r = await kubectl(["apply", "--server-side", `--field-manager=${fieldManager}`, `--as=${operatorSA()}`, "-f", "-"], list);
        assert.equal(r.code, 0, `${attempt}: ${show(r)}`);
      }
      // The binding is live: the agent of that namespace now reads the named Secret and tasks.
      for (const [verb, resource] of [["get", "secrets/storage"], ["watch", "tasks.kubatch.dev"]]) {
        const r = await kubectl(["auth", "can-i", verb!, resource!, "-n", applyNs.name, `--as=${agentSA(applyNs.name)}`]);
        assert.equal(r.stdout.trim(), "yes", show(r));
      }
      assert.equal(await canI(agentSA(applyNs.name), ["get", "secrets", "all", false]), false, "never cluster-wide");
    });

    test("cannot write a Role or RoleBinding of another name with the node agents' rules", async () => {
      const [, role, binding] = nodeRbac(applyNs.name, ["storage"]);
      for (const obj of [
        { ...role, metadata: { ...role.metadata, name: "not-kubatch-node" } },
        { ...binding, metadata: { ...binding.metadata, name: "not-kubatch-node" } },
      ]) {
        const r = await kubectl(["apply", "--server-side", `--field-manager=${fieldManager}`, `--as=${operatorSA()}`, "-f", "-"], JSON.stringify(obj));
        assert.notEqual(r.code, 0, show(r));
        assert.match(r.stderr, /forbidden/i);
      }
    });
  });

  describe("a node agent's ServiceAccount (kubatch-node)", () => {
    for (const [name, check] of Object.entries(agentChecks)) {
      test(`${check[3] ? "can" : "cannot"}: ${name}`, async () => {
        assert.equal(await canI(agentSA(poolNs.name), check), check[3], `${check.slice(0, 3).join(" ")}${check[4] ? `/${check[4]}` : ""}`);
      });
    }

    test("is refused by the API server: another namespace's tasks, and a Pool patch", async () => {
      const list = await kubectl(["get", "tasks.kubatch.dev", "-n", otherNs.name, `--as=${agentSA(poolNs.name)}`]);
      assert.notEqual(list.code, 0, show(list));
      assert.match(list.stderr, /forbidden/i);
      const patch = await kubectl(["patch", "pools.kubatch.dev", "agents", "-n", poolNs.name, "--type=merge", "-p", '{"spec":{"targetDedicatedNodes":5}}', `--as=${agentSA(poolNs.name)}`]);
      assert.notEqual(patch.code, 0, show(patch));
      assert.match(patch.stderr, /forbidden/i);
      const own = await kubectl(["get", "tasks.kubatch.dev", "-n", poolNs.name, `--as=${agentSA(poolNs.name)}`]);
      assert.equal(own.code, 0, show(own));
    });
  });

  describe("container tasks' upload ServiceAccount (kubatch-upload)", () => {
    for (const [name, check] of Object.entries(uploadChecks)) {
      test(`${check[3] ? "can" : "cannot"}: ${name}`, async () => {
        assert.equal(await canI(`system:serviceaccount:${poolNs.name}:${uploadServiceAccount}`, check), check[3], `${check.slice(0, 3).join(" ")}${check[4] ? `/${check[4]}` : ""}`);
      });
    }
  });

  describe("namespace editors and viewers (aggregated roles)", () => {
    for (const [name, [user, ...check]] of Object.entries(userChecks)) {
      test(`${check[3] ? "can" : "cannot"}: ${name}`, async () => {
        // The cluster-role aggregation controller fills admin/edit/view asynchronously.
        await eventually(`${user} ${check.slice(0, 3).join(" ")} → ${check[3]}`, 30_000, async () => ((await canI(user, check)) === check[3] ? true : undefined));
      });
    }
  });
});
