// The pool controller: its reconcile and what it watches.
import type { KubernetesObject } from "@kubernetes/client-node";
import { poolLabel } from "../../../api/labels.ts";
import { keyOf, type Controller, type Queue } from "../controller/watches.ts";
import type { DispatchState } from "../dispatch/dispatch-state.ts";
import { makePoolReconciler, type PoolReconcilerDeps } from "./reconciler.ts";

/** Pool node counts follow task changes at most this often. */
const poolStatusDelayMs = 1_000;

/** `namespace/pool` of a node Deployment, node pod or node NetworkPolicy, from its pool label. */
export function poolKeyOfLabel(obj: KubernetesObject): string | undefined {
  const pool = obj.metadata?.labels?.[poolLabel];
  return pool ? `${obj.metadata?.namespace}/${pool}` : undefined;
}

export function poolController(deps: PoolReconcilerDeps & { state: DispatchState; queue: Queue }): Controller {
  const { queue, state } = deps;
  const add = (key: string | undefined) => void (key && queue.add(key));
  return {
    name: "pool",
    workers: 2,
    reconcile: makePoolReconciler(deps),
    watches: {
      pools: (_kind, pool) => queue.add(keyOf(pool)),
      deployments: (_kind, deployment) => add(poolKeyOfLabel(deployment)),
      // Changed or deleted by someone else: applied again.
      networkPolicies: (_kind, policy) => add(poolKeyOfLabel(policy)),
      nodePods: (_kind, pod) => add(poolKeyOfLabel(pod)),
      // Node states count running tasks: an assignment or a completion changes them; a node's
      // recentTasks list every change of state there.
      tasks: (_kind, { entry, before }) => {
        const poolKey = state.jobs.get(entry.jobKey)?.poolKey;
        if (poolKey && (before?.node !== entry.node || before?.completed !== entry.completed || (!entry.chunk && entry.node && before?.state !== entry.state))) queue.addAfter(poolKey, poolStatusDelayMs);
      },
    },
  };
}
