import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Deployment, V1NetworkPolicy, V1Pod } from "@kubernetes/client-node";
import { leavingAnnotation, nodeTypeLabel, podDeletionCostAnnotation, poolFinalizer, poolLabel, specHashAnnotation } from "../../../api/labels.ts";
import { parsePool, type Pool, type PoolStatus } from "../../../api/pool.ts";
import type { PoolObject } from "../../../kube/objects.ts";
import { defaultOperatorConfig } from "../config/operator-config.ts";
import { assertEvents, assertWrites, cache, fakeApi, FakeClock, type Failure, type WantWrite } from "../controller/reconcile-harness.ts";
import type { Outcome } from "../controller/work-queue.ts";
import { nodeDeployment } from "./node-deployment.ts";
import { nodeNetworkPolicy } from "./network-policy.ts";
import { poolStatus } from "./pool-status.ts";
import { makePoolReconciler } from "./reconciler.ts";

const t0 = "2026-11-29T12:00:00.000Z";
const minutes = (n: number) => new Date(Date.parse(t0) - n * 60_000).toISOString();
const config = defaultOperatorConfig();

function pool(spec: Record<string, unknown> = {}, opts: { finalizer?: boolean; deleting?: boolean; status?: PoolStatus } = {}): PoolObject {
  return {
    apiVersion: "kubatch.dev/v1alpha1",
    kind: "Pool",
    metadata: {
      name: "p",
      namespace: "ns",
      uid: "uid-p",
      generation: 1,
      resourceVersion: "5",
      finalizers: opts.finalizer === false ? undefined : [poolFinalizer],
      deletionTimestamp: opts.deleting ? new Date(t0) : undefined,
    },
    spec: { vmSize: "small", targetDedicatedNodes: 1, ...spec },
    status: opts.status,
  } as PoolObject;
}

const parsed = (raw: PoolObject) => {
  const r = parsePool(raw);
  assert.ok(r.ok);
  return r.value as Pool & { apiVersion: string; kind: string };
};
const deployment = (raw: PoolObject, replicas: number, type: "dedicated" | "lowpriority" = "dedicated") => nodeDeployment(parsed(raw), config, type, replicas);
/** The pool's NetworkPolicy as the cache would hold it once applied; `hash` as if someone changed it. */
const policy = (raw: PoolObject, opts: { hash?: string; ownerUid?: string } = {}): V1NetworkPolicy => {
  const np = nodeNetworkPolicy(parsed(raw));
  if (opts.hash) np.metadata!.annotations = { [specHashAnnotation]: opts.hash };
  if (opts.ownerUid) np.metadata!.ownerReferences = [{ ...np.metadata!.ownerReferences![0]!, uid: opts.ownerUid }];
  return np;
};
/** The status the reconciler would write for these pods, as if written already. */
const observed = (raw: PoolObject, pods: V1Pod[], dedicated: number) => poolStatus({ pool: parsed(raw), pods, targets: { dedicated, lowPriority: 0 }, now: new Date(t0) });

const running = { running: { startedAt: new Date(minutes(5)) } };
function nodePod(name: string, opts: { startTaskExit?: number; leaving?: boolean; pullFails?: boolean } = {}): V1Pod {
  const container = { image: "kubatch/task-runner", imageID: "", ready: true, restartCount: 0 };
  if (opts.pullFails) {
    return { metadata: { name, namespace: "ns", labels: { [poolLabel]: "p", [nodeTypeLabel]: "dedicated" } }, spec: { nodeName: "n1", containers: [] }, status: { phase: "Pending", containerStatuses: [{ name: "agent", ...container, ready: false, state: { waiting: { reason: "ErrImagePull", message: "not found" } } }] } };
  }
  return {
    metadata: { name, namespace: "ns", labels: { [poolLabel]: "p", [nodeTypeLabel]: "dedicated" }, annotations: opts.leaving ? { [leavingAnnotation]: "true" } : undefined },
    spec: { nodeName: "n1", containers: [] },
    status:
      opts.startTaskExit === undefined
        ? { phase: "Running", containerStatuses: [{ name: "agent", ...container, state: running }], conditions: [{ type: "Ready", status: "True" }] }
        : {
            phase: "Pending",
            initContainerStatuses: [
              { name: "start-task", ...container, ready: false, restartCount: 1, state: { waiting: { reason: "CrashLoopBackOff" } }, lastState: { terminated: { exitCode: opts.startTaskExit, message: "boom" } } },
            ],
          },
  };
}

const finalizerApply = (finalizers: string[]): WantWrite => ({ verb: "apply", kind: "Pool", name: "p", body: { metadata: { finalizers } } });
const deploymentApply = (replicas: number, name = "p-dedicated"): WantWrite => ({ verb: "apply", kind: "Deployment", name, body: { spec: { replicas } } });
const policyApply: WantWrite = { verb: "apply", kind: "NetworkPolicy", name: "p-nodes", body: { spec: { podSelector: { matchLabels: { [poolLabel]: "p" } }, policyTypes: ["Ingress"] } } };
const status = (body: object): WantWrite => ({ verb: "patchStatus", kind: "Pool", name: "p", body: { metadata: { resourceVersion: "5" }, status: body } });

test("the pool reconciler: finalizer, node Deployments, scale-in marks, status and events", async (t) => {
  const idle = nodePod("p-dedicated-a");
  const busy = nodePod("p-dedicated-b");
  const steady = pool();
  steady.status = observed(steady, [idle], 1);
  const many = Array.from({ length: 150 }, (_, i) => nodePod(`p-dedicated-${String(i).padStart(3, "0")}`));
  const autoscale = pool({ targetDedicatedNodes: undefined, enableAutoScale: true, autoScaleFormula: "$TargetDedicatedNodes = 3;" }, { status: { targetDedicatedNodes: 3 } });
  const cases: Record<string, {
    pool?: PoolObject;
    deployments?: V1Deployment[];
    /** Default: the pool's policy, up to date. */
    networkPolicies?: V1NetworkPolicy[];
    nodeNetworkPolicy?: boolean;
    pods?: V1Pod[];
    /** Running tasks per node pod. */
    work?: Record<string, number>;
    failures?: Failure[];
    want: { writes: WantWrite[]; events?: string[]; outcome?: Outcome; error?: RegExp; rbac?: string[]; listed?: { length: number; including: string[] } };
  }> = {
    "not in the cache: nothing": { want: { writes: [] } },
    "a new pool: the finalizer, its NetworkPolicy, its Deployment, a Resizing status rechecked at the resize timeout": {
      pool: pool({}, { finalizer: false }),
      networkPolicies: [],
      want: {
        writes: [finalizerApply([poolFinalizer]), policyApply, deploymentApply(1), status({ observedGeneration: 1, allocationState: "Resizing", targetDedicatedNodes: 1, currentDedicatedNodes: 0, conditions: [{ type: "Ready", status: "False" }, { type: "Progressing", status: "True", reason: "Resizing" }, { type: "Degraded", status: "False" }] })],
        outcome: { requeueAfterMs: 15 * 60_000 + 1_000 },
        rbac: ["ns"],
      },
    },
    "steady: the Deployment and the status are as observed, nothing is written": {
      pool: steady,
      deployments: [deployment(steady, 1)],
      pods: [idle],
      want: { writes: [], rbac: ["ns"] },
    },
    "its NetworkPolicy deleted by someone: applied again": {
      pool: steady,
      deployments: [deployment(steady, 1)],
      networkPolicies: [],
      pods: [idle],
      want: { writes: [policyApply], rbac: ["ns"] },
    },
    "its NetworkPolicy changed by someone (another spec hash): applied again": {
      pool: steady,
      deployments: [deployment(steady, 1)],
      networkPolicies: [policy(steady, { hash: "edited" })],
      pods: [idle],
      want: { writes: [policyApply], rbac: ["ns"] },
    },
    "nodeNetworkPolicy off: the policy the operator made for the pool is deleted": {
      pool: steady,
      deployments: [deployment(steady, 1)],
      nodeNetworkPolicy: false,
      pods: [idle],
      want: { writes: [{ verb: "delete", kind: "NetworkPolicy", name: "p-nodes" }], rbac: ["ns"] },
    },
    "nodeNetworkPolicy off: a policy of that name the pool does not own stays": {
      pool: steady,
      deployments: [deployment(steady, 1)],
      networkPolicies: [policy(steady, { ownerUid: "someone-else" })],
      nodeNetworkPolicy: false,
      pods: [idle],
      want: { writes: [], rbac: ["ns"] },
    },
    "nodeNetworkPolicy off and no policy: nothing": {
      pool: steady,
      deployments: [deployment(steady, 1)],
      networkPolicies: [],
      nodeNetworkPolicy: false,
      pods: [idle],
      want: { writes: [], rbac: ["ns"] },
    },
    "a pool with its own service account: no node RBAC": {
      pool: pool({ serviceAccountName: "own" }),
      want: { writes: [deploymentApply(1), status({ allocationState: "Resizing" })], outcome: { requeueAfterMs: 15 * 60_000 + 1_000 } },
    },
    "a raised target: the Deployment follows": {
      pool: pool({ targetDedicatedNodes: 2 }),
      deployments: [deployment(pool(), 1)],
      pods: [idle],
      want: { writes: [deploymentApply(2), status({ allocationState: "Resizing", currentDedicatedNodes: 1, targetDedicatedNodes: 2 })], outcome: { requeueAfterMs: 15 * 60_000 + 1_000 }, rbac: ["ns"] },
    },
    "a lowered target: the idle node is marked to leave, the busy one to stay, then replicas drop": {
      pool: pool(),
      deployments: [deployment(pool({ targetDedicatedNodes: 2 }), 2)],
      pods: [idle, busy],
      work: { "p-dedicated-b": 1 },
      want: {
        writes: [
          { verb: "patch", kind: "Pod", name: "p-dedicated-a", body: { metadata: { annotations: { [leavingAnnotation]: "true", [podDeletionCostAnnotation]: "-1000" } } } },
          { verb: "patch", kind: "Pod", name: "p-dedicated-b", body: { metadata: { annotations: { [podDeletionCostAnnotation]: "1000" } } } },
          deploymentApply(1),
          status({ allocationState: "Resizing", nodeCounts: { idle: 1, running: 1, total: 2 } }),
        ],
        outcome: { requeueAfterMs: 15 * 60_000 + 1_000 },
        rbac: ["ns"],
      },
    },
    "an autoscale pool: the targets are the autoscaler's, from status": {
      pool: autoscale,
      want: { writes: [deploymentApply(3), status({ targetDedicatedNodes: 3 })], outcome: { requeueAfterMs: 15 * 60_000 + 1_000 }, rbac: ["ns"] },
    },
    "low-priority nodes asked for: a second Deployment": {
      pool: pool({ targetLowPriorityNodes: 2 }),
      deployments: [deployment(pool(), 1)],
      want: { writes: [deploymentApply(2, "p-lowpriority"), status({ targetLowPriorityNodes: 2 })], outcome: { requeueAfterMs: 15 * 60_000 + 1_000 }, rbac: ["ns"] },
    },
    "an unknown vmSize: Ready False InvalidSpec and a Warning, no Deployment": {
      pool: pool({ vmSize: "huge" }),
      want: { writes: [status({ observedGeneration: 1, conditions: [{ type: "Ready", status: "False", reason: "InvalidSpec" }] })], events: ["Warning InvalidSpec"], rbac: ["ns"] },
    },
    "a spec the operator cannot parse: InvalidSpec before anything else": {
      pool: pool({ resources: { requests: { cpu: "1" } } }, { finalizer: false }),
      want: { writes: [status({ conditions: [{ type: "Ready", status: "False", reason: "InvalidSpec" }] })], events: ["Warning InvalidSpec"] },
    },
    "a start task failed on a node: Degraded StartTaskFailed and a Warning": {
      pool: pool(),
      deployments: [deployment(pool(), 1)],
      pods: [nodePod("p-dedicated-a", { startTaskExit: 3 })],
      want: {
        writes: [status({ conditions: [{ type: "Ready", status: "False" }, { type: "Progressing", status: "False" }, { type: "Degraded", status: "True", reason: "StartTaskFailed" }], nodeCounts: { startTaskFailed: 1 } })],
        events: ["Warning StartTaskFailed"],
        rbac: ["ns"],
      },
    },
    "a node whose image cannot be pulled: Degraded NodeImagePullFailed and a Warning": {
      pool: pool(),
      deployments: [deployment(pool(), 1)],
      pods: [nodePod("p-dedicated-a", { pullFails: true })],
      want: {
        writes: [status({ conditions: [{ type: "Ready", status: "False" }, { type: "Progressing" }, { type: "Degraded", status: "True", reason: "NodeImagePullFailed" }], nodeCounts: { unusable: 1 } })],
        events: ["Warning NodeImagePullFailed"],
        rbac: ["ns"],
      },
    },
    "a node pod that ended (evicted: phase Failed) beside its replacement: removed with a Warning, not counted; the pool is Steady": {
      pool: pool({}, { status: { ...observed(pool(), [idle], 1), allocationState: "Steady" } }),
      deployments: [deployment(pool(), 1)],
      pods: [idle, { ...nodePod("p-dedicated-gone"), status: { phase: "Failed", reason: "Evicted", message: "the node was low on resource: ephemeral-storage" } }],
      want: { writes: [{ verb: "delete", kind: "Pod", name: "p-dedicated-gone" }], events: ["Warning NodeEnded"], rbac: ["ns"] },
    },
    "a resize that completed: Steady and a ResizeComplete event": {
      pool: pool({}, { status: { allocationState: "Resizing", allocationStateTransitionTime: minutes(1) } }),
      deployments: [deployment(pool(), 1)],
      pods: [idle],
      want: { writes: [status({ allocationState: "Steady", allocationStateTransitionTime: t0, currentDedicatedNodes: 1 })], events: ["Normal ResizeComplete"], rbac: ["ns"] },
    },
    "resizing past resizeTimeout: Degraded ResizeTimeout and a Warning, no recheck": {
      pool: pool({}, { status: { allocationState: "Resizing", allocationStateTransitionTime: minutes(16) } }),
      deployments: [deployment(pool(), 1)],
      want: { writes: [status({ allocationStateTransitionTime: minutes(16), conditions: [{ type: "Ready" }, { type: "Progressing" }, { type: "Degraded", status: "True", reason: "ResizeTimeout" }] })], events: ["Warning ResizeTimeout"], rbac: ["ns"] },
    },
    "a pool of 150 nodes: 100 listed, the busy ones among them; the counts cover all": {
      pool: pool({ targetDedicatedNodes: 150 }),
      deployments: [deployment(pool({ targetDedicatedNodes: 150 }), 150)],
      pods: many,
      work: { "p-dedicated-149": 1, "p-dedicated-148": 2 },
      want: {
        writes: [status({ nodesNotListed: 50, currentDedicatedNodes: 150, nodeCounts: { idle: 148, running: 2, total: 150 }, conditions: [{ type: "Ready", status: "True", message: "150/150 nodes usable" }] })],
        rbac: ["ns"],
        listed: { length: 100, including: ["p-dedicated-148", "p-dedicated-149", "p-dedicated-000"] },
      },
    },
    "a status write that conflicts: the error is the outcome": {
      pool: pool(),
      deployments: [deployment(pool(), 1)],
      failures: [{ verb: "patchStatus", code: 409 }],
      want: { writes: [], error: /409/, rbac: ["ns"] },
    },
    "being deleted: its Deployments go first; the finalizer holds while nodes remain": {
      pool: pool({}, { deleting: true }),
      deployments: [deployment(pool(), 1)],
      pods: [idle],
      want: { writes: [{ verb: "delete", kind: "Deployment", name: "p-dedicated" }], outcome: { requeueAfterMs: 2_000 } },
    },
    "being deleted, its nodes gone: the finalizer is removed": {
      pool: pool({}, { deleting: true }),
      want: { writes: [finalizerApply([])] },
    },
    "being deleted without the operator's finalizer: nothing": {
      pool: pool({}, { deleting: true, finalizer: false }),
      pods: [idle],
      want: { writes: [] },
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, async () => {
      const api = fakeApi({ failures: tc.failures });
      const rbac: string[] = [];
      const reconcile = makePoolReconciler({
        pools: cache(tc.pool ? [tc.pool] : []),
        deployments: cache(tc.deployments ?? []),
        networkPolicies: cache(tc.networkPolicies ?? (tc.pool && parsePool(tc.pool).ok ? [policy(tc.pool)] : [])),
        pods: cache(tc.pods ?? []),
        writer: api.writer,
        apps: api.apps,
        networking: api.networking,
        core: api.core,
        events: api.recorder,
        workOf: (_ns, pod) => ({ runningTasks: tc.work?.[pod] ?? 0, runningTaskSlots: tc.work?.[pod] ?? 0 }),
        ensureNodeRbac: async (namespace) => void rbac.push(namespace),
        config: { ...config, nodeNetworkPolicy: tc.nodeNetworkPolicy ?? true },
        now: new FakeClock(t0).date,
      });
      const result = await reconcile("ns/p").then((outcome) => ({ outcome }), (error: unknown) => ({ error }));
      if (tc.want.error) assert.match(String((result as { error?: unknown }).error), tc.want.error);
      else assert.deepEqual(result, { outcome: tc.want.outcome });
      assertWrites(api.writes, tc.want.writes);
      assertEvents(api.events, tc.want.events ?? []);
      assert.deepEqual(rbac, tc.want.rbac ?? []);
      if (tc.want.listed) {
        const written = api.writes.find((w) => w.verb === "patchStatus")?.body as { status: PoolStatus };
        assert.equal(written.status.nodes?.length, tc.want.listed.length);
        for (const name of tc.want.listed.including) assert.ok(written.status.nodes?.some((n) => n.name === name), `${name} listed`);
      }
    });
  }
});
