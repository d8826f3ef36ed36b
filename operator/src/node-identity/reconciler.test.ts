import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KubernetesObject, V1Role } from "@kubernetes/client-node";
import type { JobObject, TaskCollectionObject, TaskObject } from "../../../kube/objects.ts";
import { assertWrites, cache, fakeApi, type WantWrite, type Write } from "../controller/reconcile-harness.ts";
import type { JobChange, Queue, TaskChange } from "../controller/watches.ts";
import { nodeIdentityController, shrinkDelayMs } from "./controller.ts";
import { nodeRules } from "./node-rbac.ts";
import { makeNodeIdentities, type NodeIdentities } from "./reconciler.ts";

const task = (name: string, secret?: string, namespace = "ns") =>
  ({ metadata: { name, namespace }, spec: { jobName: "j", commandLine: "x", ...(secret ? { resourceFiles: [{ httpUrl: "http://x/f", filePath: "f", credentialsSecretRef: { name: secret, key: "k" } }] } : {}) } }) as unknown as TaskObject;
/** The node Role applied with exactly these Secret names. */
const roleWith = (names: string[]): WantWrite => ({ verb: "apply", kind: "Role", name: "kubatch-node", body: { rules: nodeRules(names) } });
/** assertWrites compares bodies partially: the rules must also be exactly these. */
const assertRoles = (writes: readonly Write[], want: readonly WantWrite[]) =>
  want.forEach((w, i) => w.kind === "Role" && w.name === "kubatch-node" && assert.deepEqual((writes[i]!.body as V1Role).rules, (w.body as V1Role).rules, `write ${i}: rules`));
const identity: WantWrite[] = [{ verb: "apply", kind: "ServiceAccount", name: "kubatch-node" }, roleWith(["a"]), { verb: "apply", kind: "RoleBinding", name: "kubatch-node" }];

describe("node identities", () => {
  type Step = (ids: NodeIdentities, tasks: TaskObject[]) => Promise<unknown>;
  const cases: Record<string, { tasks: TaskObject[]; steps: Step[]; want: WantWrite[] }> = {
    "ensureNode: the ServiceAccount, the Role with the Secrets named now, the RoleBinding": { tasks: [task("t", "a"), task("u")], steps: [(ids) => ids.ensureNode("ns")], want: identity },
    "ensureNode again: nothing": { tasks: [task("t", "a")], steps: [(ids) => ids.ensureNode("ns"), (ids) => ids.ensureNode("ns")], want: identity },
    "other namespaces' Secrets are not granted": { tasks: [task("t", "a"), task("o", "theirs", "other")], steps: [(ids) => ids.ensureNode("ns")], want: identity },
    "reconcile before the identity exists: nothing (ensureNode reads the names then)": { tasks: [task("t", "a")], steps: [(ids) => ids.reconcile("ns", new AbortController().signal)], want: [] },
    "reconcile with the same names: no write": { tasks: [task("t", "a")], steps: [(ids) => ids.ensureNode("ns"), (ids) => ids.reconcile("ns", new AbortController().signal)], want: identity },
    "a task names a new Secret: the Role again, with both": {
      tasks: [task("t", "a")],
      steps: [(ids) => ids.ensureNode("ns"), async (ids, tasks) => (tasks.push(task("n", "b")), ids.reconcile("ns", new AbortController().signal))],
      want: [...identity, roleWith(["a", "b"])],
    },
    "the last task naming a Secret is gone: the Role without it": {
      tasks: [task("t", "a")],
      steps: [(ids) => ids.ensureNode("ns"), async (ids, tasks) => (tasks.pop(), ids.reconcile("ns", new AbortController().signal))],
      want: [...identity, roleWith([])],
    },
    "ensureUpload: its own identity, once": {
      tasks: [],
      steps: [(ids) => ids.ensureUpload("ns"), (ids) => ids.ensureUpload("ns")],
      want: [
        { verb: "apply", kind: "ServiceAccount", name: "kubatch-upload" },
        { verb: "apply", kind: "Role", name: "kubatch-upload", body: { rules: [{ resources: ["pods"] }, { resources: ["pods/log"] }] } },
        { verb: "apply", kind: "RoleBinding", name: "kubatch-upload" },
      ],
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    it(name, async () => {
      const api = fakeApi();
      const tasks = [...tc.tasks];
      const ids = makeNodeIdentities({ tasks: cache(() => tasks), jobs: cache<JobObject>([]), collections: cache<TaskCollectionObject>([]), writer: api.writer });
      for (const step of tc.steps) await step(ids, tasks);
      assertWrites(api.writes, tc.want);
      assertRoles(api.writes, tc.want);
    });
  }

  it("a Secret named while the first writes are in flight is granted before ensureNode returns", async () => {
    const api = fakeApi();
    const tasks = [task("t", "a")];
    let added = false;
    const writer = {
      ...api.writer,
      apply: async <T extends KubernetesObject>(obj: T, manager?: string) => {
        // The task arrives (cache updated, watch finds no grant yet) during the first write.
        if (!added) (added = true), tasks.push(task("n", "b"));
        return api.writer.apply(obj, manager);
      },
    };
    const ids = makeNodeIdentities({ tasks: cache(() => tasks), jobs: cache<JobObject>([]), collections: cache<TaskCollectionObject>([]), writer });
    await ids.ensureNode("ns");
    assertWrites(api.writes, [...identity, roleWith(["a", "b"])]);
    assertRoles(api.writes, [...identity, roleWith(["a", "b"])]);
    assert.deepEqual(ids.granted("ns"), ["a", "b"]);
  });

  it("concurrent ensureNode and reconcile of one namespace write one after the other", async () => {
    const api = fakeApi();
    const tasks = [task("t", "a")];
    const ids = makeNodeIdentities({ tasks: cache(() => tasks), jobs: cache<JobObject>([]), collections: cache<TaskCollectionObject>([]), writer: api.writer });
    await Promise.all([ids.ensureNode("ns"), ids.reconcile("ns", new AbortController().signal), ids.ensureNode("ns")]);
    assertWrites(api.writes, identity);
  });
});

describe("node identity controller's watches", () => {
  const granted: Record<string, string[]> = { ns: ["a"] };
  const ids = { granted: (ns: string) => granted[ns] } as NodeIdentities;
  type Want = { add?: string[]; after?: [string, number][] };
  const taskEvent = (kind: "add" | "update" | "delete", t: TaskObject) => (c: ReturnType<typeof nodeIdentityController>) => c.watches.tasks!(kind, { obj: t } as TaskChange);
  const cases: Record<string, { event: (c: ReturnType<typeof nodeIdentityController>) => void; want: Want }> = {
    "a task naming an ungranted Secret: at once": { event: taskEvent("add", task("n", "b")), want: { add: ["ns"] } },
    "a task naming a granted Secret: nothing": { event: taskEvent("update", task("t", "a")), want: {} },
    "a task naming none: nothing": { event: taskEvent("add", task("t")), want: {} },
    "a namespace whose identity is not applied yet: nothing": { event: taskEvent("add", task("n", "b", "fresh")), want: {} },
    "a deleted task that named one: later (the Role may shrink)": { event: taskEvent("delete", task("t", "a")), want: { after: [["ns", shrinkDelayMs]] } },
    "a job's preparation task naming an ungranted Secret: at once": {
      event: (c) => c.watches.jobs!("add", { obj: { metadata: { name: "j", namespace: "ns" }, spec: { jobPreparationTask: { commandLine: "x", resourceFiles: [{ httpUrl: "http://x", filePath: "f", credentialsSecretRef: { name: "p", key: "k" } }] } } } } as unknown as JobChange),
      want: { add: ["ns"] },
    },
    "a pool event (also the periodic resync): later": { event: (c) => c.watches.pools!("update", { metadata: { name: "p", namespace: "ns" } } as never), want: { after: [["ns", shrinkDelayMs]] } },
  };
  for (const [name, tc] of Object.entries(cases)) {
    it(name, () => {
      const got: Required<Want> = { add: [], after: [] };
      const queue: Queue = { add: (k) => void got.add.push(k), addAfter: (k, ms) => void got.after.push([k, ms]) };
      tc.event(nodeIdentityController({ identities: ids, queue }));
      assert.deepEqual(got, { add: tc.want.add ?? [], after: tc.want.after ?? [] });
    });
  }
});
