// The Pool reconciler, shaped like Kueue's: read from the informer caches, handle deletion
// through a finalizer, build the desired node Deployments and NetworkPolicy with pure functions,
// apply them server-side, then derive the status from what is observed and write it only if it
// changed.
import { type AppsV1Api, type CoreV1Api, type KubernetesObject, type NetworkingV1Api, type V1Deployment, type V1NetworkPolicy, type V1Pod } from "@kubernetes/client-node";
import { reportInvalidSpec } from "../controller/invalid-spec.ts";
import { GROUP, VERSION } from "../../../api/group.ts";
import { formatProblems } from "../../../api/parse.ts";
import { parsePool, poolNames, type Pool, type PoolStatus } from "../../../api/pool.ts";
import type { OperatorConfig } from "../config/operator-config.ts";
import type { Outcome } from "../controller/work-queue.ts";
import { ignoreNotFound } from "../../../kube/errors.ts";
import type { EventRecorder } from "../../../kube/events.ts";
import { mergePatch, type Writer } from "../../../kube/apply.ts";
import { deploymentName, type NodeType } from "./deployment-names.ts";
import { podTerminated, type NodeWork } from "./node-state.ts";
import { planNodeRequests, planScaleIn } from "./scale-in.ts";
import { nodeDeployment, PoolConfigError } from "./node-deployment.ts";
import { networkPolicyName, nodeNetworkPolicy } from "./network-policy.ts";
import { poolStatus, recheckAfterMs, statusEvents } from "./pool-status.ts";
import type { PoolObject } from "../../../kube/objects.ts";
import { nodeTypeLabel, poolFinalizer, poolLabel, specHashAnnotation } from "../../../api/labels.ts";


export type Cache<T> = { get(name: string, namespace?: string): T | undefined; list(namespace?: string): readonly T[] };

export type PoolReconcilerDeps = {
  pools: Cache<PoolObject>;
  deployments: Cache<V1Deployment>;
  networkPolicies: Cache<V1NetworkPolicy>;
  pods: Cache<V1Pod>;
  writer: Writer;
  apps: Pick<AppsV1Api, "deleteNamespacedDeployment">;
  networking: Pick<NetworkingV1Api, "deleteNamespacedNetworkPolicy">;
  core: Pick<CoreV1Api, "patchNamespacedPod" | "deleteNamespacedPod">;
  events: EventRecorder;
  /** Tasks on a node pod, from the scheduler. */
  workOf: (namespace: string, pod: string) => NodeWork;
  /** Called with every status computed (metrics). */
  onStatus?: (pool: Pool, status: PoolStatus) => void;
  /** Makes sure node agents in the namespace have their ServiceAccount and Role. */
  ensureNodeRbac: (namespace: string) => Promise<void>;
  config: OperatorConfig;
  now?: () => Date;
};

export function podsOfPool(pods: Cache<V1Pod>, namespace: string, pool: string): V1Pod[] {
  return pods.list(namespace).filter((p) => p.metadata?.labels?.[poolLabel] === pool);
}

export function makePoolReconciler(deps: PoolReconcilerDeps): (key: string) => Promise<Outcome> {
  const now = deps.now ?? (() => new Date());
  // The resourceVersion precondition keeps a status computed from a stale cache from undoing
  // a newer write (e.g. the autoscaler's targets): it fails with 409 and is recomputed.
  const statusRef = (obj: PoolObject) => ({ group: GROUP, version: VERSION, plural: poolNames.plural, namespace: obj.metadata!.namespace!, name: obj.metadata!.name!, resourceVersion: obj.metadata!.resourceVersion });

  const invalid = (raw: PoolObject, message: string) =>
    reportInvalidSpec(deps, raw, statusRef(raw), "Ready", message, now(), { observedGeneration: raw.metadata?.generation });

  /** Per pool: its removal pods idle but not taken by the scale-in, by uid, since when (planNodeRequests). */
  const removalIdleSince = new Map<string, ReadonlyMap<string, number>>();

  return async function reconcile(key: string): Promise<Outcome> {
    const [namespace, name] = key.split("/") as [string, string];
    const raw = deps.pools.get(name, namespace);
    if (!raw) return void removalIdleSince.delete(key);
    const ownedPods = podsOfPool(deps.pods, namespace, name);

    if (raw.metadata?.deletionTimestamp) {
      if (!raw.metadata.finalizers?.includes(poolFinalizer)) return;
      for (const type of ["dedicated", "lowpriority"] as const) {
        const dep = deps.deployments.get(deploymentName(name, type), namespace);
        if (dep && !dep.metadata?.deletionTimestamp) {
          await deps.apps.deleteNamespacedDeployment({ name: dep.metadata!.name!, namespace, propagationPolicy: "Background" }).catch(ignoreNotFound);
        }
      }
      // The finalizer holds the Pool until its nodes have left, so a re-created pool of the same name starts clean.
      if (ownedPods.length > 0) return { requeueAfterMs: 2_000 };
      await deps.writer.apply({ apiVersion: raw.apiVersion, kind: raw.kind, metadata: { name, namespace, finalizers: [] } });
      return;
    }

    const parsed = parsePool(raw);
    if (!parsed.ok) return void (await invalid(raw, formatProblems(parsed.problems)));
    const pool = parsed.value as Pool & { apiVersion: string; kind: string };

    if (!raw.metadata?.finalizers?.includes(poolFinalizer)) {
      await deps.writer.apply({ apiVersion: raw.apiVersion, kind: raw.kind, metadata: { name, namespace, finalizers: [poolFinalizer] } });
    }

    const targets = {
      dedicated: pool.spec.enableAutoScale ? (raw.status?.targetDedicatedNodes ?? 0) : (pool.spec.targetDedicatedNodes ?? 0),
      lowPriority: pool.spec.enableAutoScale ? (raw.status?.targetLowPriorityNodes ?? 0) : (pool.spec.targetLowPriorityNodes ?? 0),
    };
    if (!pool.spec.serviceAccountName) await deps.ensureNodeRbac(namespace);
    // The nodes' NetworkPolicy before the nodes; the pool's deletion takes it along (owner reference).
    const policy = deps.networkPolicies.get(networkPolicyName(name), namespace);
    if (deps.config.nodeNetworkPolicy) {
      const desired = nodeNetworkPolicy(pool);
      if (policy?.metadata?.annotations?.[specHashAnnotation] !== desired.metadata?.annotations?.[specHashAnnotation]) await deps.writer.apply(desired);
    } else if (policy && policy.metadata?.ownerReferences?.some((o) => o.controller && o.uid === raw.metadata?.uid)) {
      await deps.networking.deleteNamespacedNetworkPolicy({ name: networkPolicyName(name), namespace }).catch(ignoreNotFound);
    }
    const workOf = (pod: string) => deps.workOf(namespace, pod);
    // A node pod that ended for good (evicted, or its node shut down: phase Failed) stays in the
    // API until the pod garbage collector's threshold (12,500 pods by default), though its
    // ReplicaSet has made a replacement already: counted, it would keep the pool Resizing and
    // not Ready for good. It is removed, saying why (its tasks are requeued by the scheduler,
    // which sees it ended or gone), and no longer counts as a node.
    for (const pod of ownedPods.filter(podTerminated)) {
      if (pod.metadata?.deletionTimestamp) continue;
      const why = [pod.status?.reason, pod.status?.message].filter(Boolean).join(": ");
      deps.events.record(raw, "Warning", "NodeEnded", `node ${pod.metadata?.name} ended (phase ${pod.status?.phase}${why ? `, ${why}` : ""}); removed, the pool makes a new one`);
      await deps.core.deleteNamespacedPod({ name: pod.metadata!.name!, namespace, body: { preconditions: { uid: pod.metadata?.uid } } }).catch(ignoreNotFound);
    }
    // Nodes asked to be removed or reimaged go once their tasks were released (scale-in.ts).
    const requests = planNodeRequests(ownedPods, targets, workOf, removalIdleSince.get(key) ?? new Map(), now().getTime());
    if (requests.idleSince.size > 0) removalIdleSince.set(key, requests.idleSince);
    else removalIdleSince.delete(key);
    for (const { pod, why } of requests.remove) {
      if (why === "removed") deps.events.record(raw, "Normal", "NodeRemoved", `node ${pod.metadata?.name} removed from the pool, as asked`);
      else deps.events.record(raw, "Normal", "NodeReimaged", `node ${pod.metadata?.name} reimaged: its pod is replaced by a fresh one`);
      await deps.core.deleteNamespacedPod({ name: pod.metadata!.name!, namespace, body: { preconditions: { uid: pod.metadata?.uid } } }).catch(ignoreNotFound);
    }
    const nodePods = ownedPods.filter((p) => !podTerminated(p));
    try {
      for (const [type, target] of [["dedicated", targets.dedicated], ["lowpriority", targets.lowPriority]] as [NodeType, number][]) {
        const current = deps.deployments.get(deploymentName(name, type), namespace);
        // No low-priority Deployment until one is asked for.
        if (type === "lowpriority" && target === 0 && !current) continue;
        const typePods = nodePods.filter((p) => (p.metadata?.labels?.[nodeTypeLabel] ?? "dedicated") === type);
        const scaleIn = planScaleIn(typePods, target, pool.spec.nodeDeallocationOption, workOf);
        // Mark who leaves before the ReplicaSet picks (pod-deletion-cost), then resize.
        for (const [pod, annotations] of scaleIn.annotate) {
          await deps.core.patchNamespacedPod({ name: pod, namespace, body: { metadata: { annotations } } }, mergePatch).catch(ignoreNotFound);
        }
        const desired = nodeDeployment(pool, deps.config, type, scaleIn.replicas);
        if (current?.metadata?.annotations?.[specHashAnnotation] === desired.metadata?.annotations?.[specHashAnnotation]) continue;
        await deps.writer.apply(desired);
      }
    } catch (err) {
      if (err instanceof PoolConfigError) return void (await invalid(raw, err.message));
      throw err;
    }

    const work = new Map(nodePods.map((p) => [p.metadata?.name ?? "", workOf(p.metadata?.name ?? "")]));
    const status = poolStatus({ pool, pods: nodePods, work, targets, now: now() });
    for (const e of statusEvents(raw.status, status)) deps.events.record(raw, e.type, e.reason, e.message);
    deps.onStatus?.(pool, status);
    await deps.writer.patchStatus(statusRef(raw), raw.status, status);
    const recheck = [recheckAfterMs(pool, status, now()), requests.recheckMs].filter((ms): ms is number => ms !== undefined);
    return recheck.length === 0 ? undefined : { requeueAfterMs: Math.max(0, Math.min(...recheck)) };
  };
}
