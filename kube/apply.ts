// Every write of the operator goes through here: server-side apply with one field manager
// for what it owns, and status patches that are skipped when nothing changed.
import { isDeepStrictEqual } from "node:util";
import {
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
  type V1OwnerReference,
} from "@kubernetes/client-node";
import { API_VERSION } from "../api/group.ts";
import { jobNames } from "../api/job.ts";

export const fieldManager = "kubatch-operator";

/** Request option for JSON merge patches (client-node defaults to JSON patch). */
export const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export type Writer = {
  /**
   * Server-side apply of the whole desired object (fields the operator owns). `manager` names a
   * second owner on objects where another part of the operator applies a partial object (the
   * auto-pool controller's Pool spec beside the pool reconciler's finalizer): an apply of one
   * manager drops whatever that manager owned but left out.
   */
  apply<T extends KubernetesObject>(obj: T, manager?: string): Promise<T>;
  /** Merge-patches `status` of a kubatch object unless it already equals `status`. Returns whether it wrote. */
  patchStatus(ref: StatusRef, current: unknown, status: object): Promise<boolean>;
};

/** The custom-object writes some writers make themselves (merge patches with a resourceVersion precondition, deletes with a uid one). */
export type CustomObjectWrites = Pick<CustomObjectsApi, "patchNamespacedCustomObject" | "patchNamespacedCustomObjectStatus" | "deleteNamespacedCustomObject">;

export type StatusRef = { group: string; version: string; plural: string; namespace: string; name: string; resourceVersion?: string };

export function makeWriter(kc: KubeConfig): Writer {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const custom = kc.makeApiClient(CustomObjectsApi);
  return {
    async apply<T extends KubernetesObject>(obj: T, manager = fieldManager): Promise<T> {
      return (await objects.patch(obj, undefined, undefined, manager, true, PatchStrategy.ServerSideApply)) as T;
    },
    async patchStatus(ref: StatusRef, current: unknown, status: object): Promise<boolean> {
      if (statusUnchanged(current, status)) return false;
      await custom.patchNamespacedCustomObjectStatus(
        { group: ref.group, version: ref.version, namespace: ref.namespace, plural: ref.plural, name: ref.name, body: statusPatch(ref, status), fieldManager },
        mergePatch,
      );
      return true;
    },
  };
}

/** The controller owner reference that makes Kubernetes garbage-collect what an object owns. */
export function controllerRef(owner: KubernetesObject & { apiVersion: string; kind: string }): V1OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata?.name ?? "",
    uid: owner.metadata?.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}

/**
 * A kubatch Job as the controller owner of its Tasks and TaskCollections: deleting the job
 * deletes them (garbage collection), as Azure Batch's job delete does.
 */
export function jobOwnerRef(name: string, uid: string): V1OwnerReference {
  return controllerRef({ apiVersion: API_VERSION, kind: jobNames.kind, metadata: { name, uid } });
}

/** The uid of the kubatch Job that is the controller among these owners, if one is. */
export function jobOwnerUid(refs: readonly Pick<V1OwnerReference, "apiVersion" | "kind" | "uid" | "controller">[] | undefined): string | undefined {
  return refs?.find((r) => r.apiVersion === API_VERSION && r.kind === jobNames.kind && r.controller)?.uid;
}

/** The merge patch of a status write. The resourceVersion precondition makes a status computed from a stale cache fail with 409. */
export function statusPatch(ref: StatusRef, status: object): object {
  return ref.resourceVersion ? { metadata: { resourceVersion: ref.resourceVersion }, status } : { status };
}

/** Whether a status patch would store nothing new (Writer.patchStatus then skips it). */
export function statusUnchanged(current: unknown, status: object): boolean {
  return isDeepStrictEqual(stripUndefined(current), stripUndefined(status));
}

/**
 * `next` as a JSON merge patch over `current`: a member of an object that `current` has and
 * `next` leaves out is sent as null, since a merge patch keeps what it does not mention.
 * Objects present in both are compared member by member; arrays and scalars are replaced.
 */
export function removalsAsNull(current: unknown, next: object): object {
  if (!isPlainObject(current) || !isPlainObject(next)) return next;
  const patch: Record<string, unknown> = { ...next };
  for (const [key, was] of Object.entries(current)) {
    const now = (next as Record<string, unknown>)[key];
    if (was === undefined) continue;
    if (now === undefined) patch[key] = null;
    else if (isPlainObject(was) && isPlainObject(now)) patch[key] = removalsAsNull(was, now);
  }
  return patch;
}

const isPlainObject = (v: unknown): v is object => typeof v === "object" && v !== null && !Array.isArray(v);

/** JSON round trip: what the API server would store (no undefined members). */
export function stripUndefined<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
