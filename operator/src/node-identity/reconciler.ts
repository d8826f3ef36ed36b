// The node agents' and upload containers' identities in each namespace the operator runs
// nodes or container tasks in. Applied once per namespace per process when a pool or a
// container task first needs one; after that the node Role's Secret names follow the names
// the namespace's tasks, jobs and collections give (secret-names.ts): the Role is applied again only when
// they change. Writes of one namespace are serialized, so an older set never lands last.
import type { Writer } from "../../../kube/apply.ts";
import type { JobObject, TaskCollectionObject, TaskObject } from "../../../kube/objects.ts";
import type { Handler } from "../controller/work-queue.ts";
import type { Cache } from "../pool/reconciler.ts";
import { nodeRbac, uploadRbac, type NodeRbacOptions } from "./node-rbac.ts";
import { agentSecretNames } from "./secret-names.ts";

export type NodeIdentityDeps = { tasks: Cache<TaskObject>; jobs: Cache<JobObject>; collections: Cache<TaskCollectionObject>; writer: Writer; rbac?: NodeRbacOptions };

export type NodeIdentities = {
  /** The node agents' ServiceAccount, Role (with the Secret names of now) and RoleBinding. */
  ensureNode(namespace: string): Promise<void>;
  /** Container tasks' upload ServiceAccount, Role and RoleBinding. */
  ensureUpload(namespace: string): Promise<void>;
  /** The Secret names the namespace's node Role grants, or undefined while this process has not applied it. */
  granted(namespace: string): readonly string[] | undefined;
  /** Key: a namespace. Applies its node Role again if the Secret names changed. */
  reconcile: Handler;
};

export function makeNodeIdentities(deps: NodeIdentityDeps): NodeIdentities {
  const granted = new Map<string, string[]>();
  const uploads = new Set<string>();
  const chains = new Map<string, Promise<unknown>>();
  const serial = <T>(namespace: string, work: () => Promise<T>): Promise<T> => {
    const next = (chains.get(namespace) ?? Promise.resolve()).catch(() => undefined).then(work);
    chains.set(namespace, next);
    void next.finally(() => chains.get(namespace) === next && chains.delete(namespace)).catch(() => undefined);
    return next;
  };
  const desired = (namespace: string) => agentSecretNames(deps.tasks.list(namespace), deps.jobs.list(namespace), deps.collections.list(namespace));
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((n, i) => n === b[i]);

  // Applies the Role until the names it was applied with are still the cache's: an event that
  // came while a write was in flight found no grant to compare with, or an older one.
  const converge = async (namespace: string) => {
    for (;;) {
      const names = desired(namespace);
      const have = granted.get(namespace);
      if (have && same(have, names)) return;
      await deps.writer.apply(nodeRbac(namespace, names, deps.rbac)[1]);
      granted.set(namespace, names);
    }
  };

  return {
    ensureNode: (namespace) =>
      granted.has(namespace)
        ? Promise.resolve()
        : serial(namespace, async () => {
            if (granted.has(namespace)) return;
            const names = desired(namespace);
            for (const obj of nodeRbac(namespace, names, deps.rbac)) await deps.writer.apply(obj);
            granted.set(namespace, names);
            await converge(namespace);
          }),
    ensureUpload: (namespace) =>
      uploads.has(namespace)
        ? Promise.resolve()
        : serial(namespace, async () => {
            if (uploads.has(namespace)) return;
            for (const obj of uploadRbac(namespace)) await deps.writer.apply(obj);
            uploads.add(namespace);
          }),
    granted: (namespace) => granted.get(namespace),
    reconcile: (namespace) => serial(namespace, async () => void (granted.has(namespace) && (await converge(namespace)))),
  };
}
