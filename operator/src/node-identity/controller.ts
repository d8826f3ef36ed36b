// The node identity controller: keys are namespaces. A task, job or collection naming a Secret the
// namespace's node Role does not grant yet enqueues at once (its agent is about to read it).
// A deleted one that named some enqueues after a while, and so does every pool event (the
// manager replays pools every 10 minutes), so the Role also shrinks — after an update that
// dropped a name (the old spec is not at hand) by the next of those.
import { keyOf, type Controller, type Queue } from "../controller/watches.ts";
import type { NodeIdentities } from "./reconciler.ts";
import { collectionSecretNames, jobSecretNames, taskSecretNames } from "./secret-names.ts";

/** A Secret no task names any more loses its grant this much later (nothing waits for it). */
export const shrinkDelayMs = 5_000;

export function nodeIdentityController(deps: { identities: NodeIdentities; queue: Queue }): Controller {
  const { identities, queue } = deps;
  const onNames = (namespace: string | undefined, names: readonly string[], kind: string) => {
    if (!namespace) return;
    const granted = identities.granted(namespace);
    // Not applied yet: ensureNode reads the names when it does.
    if (!granted) return;
    if (names.some((n) => !granted.includes(n))) queue.add(namespace);
    else if (names.length > 0 && kind === "delete") queue.addAfter(namespace, shrinkDelayMs);
  };
  return {
    name: "nodeidentity",
    workers: 1,
    reconcile: identities.reconcile,
    watches: {
      tasks: (kind, { obj }) => onNames(obj.metadata?.namespace, taskSecretNames(obj), kind),
      jobs: (kind, { obj }) => onNames(obj.metadata?.namespace, jobSecretNames(obj), kind),
      collections: (kind, obj) => onNames(obj.metadata?.namespace, collectionSecretNames(obj), kind),
      pools: (_kind, pool) => {
        const namespace = keyOf(pool).split("/")[0];
        if (namespace && identities.granted(namespace)) queue.addAfter(namespace, shrinkDelayMs);
      },
    },
  };
}
