// Job tokens (job-token-objects.ts), keyed by job: made once a job's job manager task, or any
// task or collection of the job, asks for one (authenticationTokenSettings access [job]) while
// the job runs; revoked when the job completes — its RoleBinding is deleted (with its uid as a
// precondition: only the one made here), and with it the token's Secret, which it owns, so the
// token no longer authenticates. The ServiceAccount goes with the job (owner references).
// What was made is recorded on the Job (annotation kubatch.dev/job-token: the RoleBinding's
// uid, then "revoked"), so a restarted operator neither makes a token again nor misses a
// revocation, without a write per job.
// Plain creates, not server-side apply: the objects never change, and create (with no patch
// or read of Secrets) is all the operator needs; it reads ServiceAccounts and RoleBindings of
// that name only to tell its own (owned by this job) from an earlier job's or a stranger's.
import type { KubernetesObject, KubernetesObjectApi, V1RoleBinding, V1ServiceAccount } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../../api/group.ts";
import { jobNames } from "../../../api/job.ts";
import { jobTokenAccount, wantsJobToken } from "../../../api/job-token.ts";
import { jobTokenAnnotation, jobTokenRevoked } from "../../../api/labels.ts";
import { controllerRef, fieldManager, mergePatch, type CustomObjectWrites } from "../../../kube/apply.ts";
import { httpStatus, isConflictOrGone } from "../../../kube/errors.ts";
import type { EventRecorder } from "../../../kube/events.ts";
import type { JobObject } from "../../../kube/objects.ts";
import type { Outcome } from "../controller/work-queue.ts";
import type { Cache } from "../pool/reconciler.ts";
import { jobTokenObjects } from "./job-token-objects.ts";

export type JobTokenDeps = {
  jobs: Cache<JobObject>;
  objects: Pick<KubernetesObjectApi, "create" | "delete" | "read">;
  custom: Pick<CustomObjectWrites, "patchNamespacedCustomObject">;
  /** The ClusterRole the tokens are bound to (operator config jobTokenClusterRole); absent: no tokens. */
  clusterRole?: string;
  events: EventRecorder;
};

export type JobTokens = {
  /** A task or collection of the job (`namespace/name`) asks for its token. */
  request(jobKey: string): void;
  /** The job's token is asked for, made or to be revoked: its events matter. */
  wanted(job: JobObject, jobKey: string): boolean;
  reconcile(jobKey: string): Promise<Outcome>;
};

/** An earlier job of the same name still owns the objects (garbage collection removes them soon): look again this much later. */
export const predecessorRetryMs = 2_000;

export function makeJobTokens(deps: JobTokenDeps): JobTokens {
  const requested = new Set<string>();
  // Per job key, the uid of the job this process told that it gets no token (once).
  const told = new Map<string, string>();
  const recorded = (job: JobObject) => job.metadata?.annotations?.[jobTokenAnnotation];
  const wanted = (job: JobObject, jobKey: string) => wantsJobToken(job.spec?.jobManagerTask?.authenticationTokenSettings) || requested.has(jobKey) || recorded(job) !== undefined;
  const jobRef = (namespace: string, name: string) => ({ group: GROUP, version: VERSION, plural: jobNames.plural, namespace, name, fieldManager });
  const annotate = (namespace: string, name: string, value: string) =>
    deps.custom.patchNamespacedCustomObject({ ...jobRef(namespace, name), body: { metadata: { annotations: { [jobTokenAnnotation]: value } } } }, mergePatch);
  const tell = (job: JobObject, jobKey: string, reason: string, message: string) => {
    const uid = job.metadata?.uid ?? "";
    if (told.get(jobKey) === uid) return;
    told.set(jobKey, uid);
    deps.events.record(job, "Warning", reason, message);
  };
  /** Creates `obj`, or reads the one of its name: what is there now. */
  const createOrRead = async <T extends KubernetesObject>(obj: T): Promise<T> => {
    try {
      return await deps.objects.create(obj);
    } catch (err) {
      if (httpStatus(err) !== 409) throw err;
      return deps.objects.read(obj as KubernetesObject & { metadata: { name: string; namespace: string } }) as Promise<T>;
    }
  };
  const ownerUid = (obj: KubernetesObject) => obj.metadata?.ownerReferences?.find((o) => o.kind === jobNames.kind && o.controller)?.uid;

  return {
    request: (jobKey) => void requested.add(jobKey),
    wanted,
    async reconcile(jobKey) {
      const [namespace, name] = jobKey.split("/") as [string, string];
      const job = deps.jobs.get(name, namespace);
      if (!job) {
        requested.delete(jobKey);
        told.delete(jobKey);
        return;
      }
      const uid = job.metadata?.uid ?? "";
      const made = recorded(job);
      if (job.status?.state === "Completed") {
        if (made === undefined || made === jobTokenRevoked) return;
        await deps.objects
          .delete({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: jobTokenAccount(name), namespace } }, undefined, undefined, undefined, undefined, "Background", { preconditions: { uid: made } })
          .catch((err: unknown) => {
            // Gone already, or another object of that name (not the one made here): nothing to revoke.
            if (!isConflictOrGone(err)) throw err;
          });
        await annotate(namespace, name, jobTokenRevoked).catch((err: unknown) => {
          if (httpStatus(err) !== 404) throw err;
        });
        return;
      }
      if (made !== undefined || !wanted(job, jobKey) || job.metadata?.deletionTimestamp) return;
      if (!deps.clusterRole) {
        tell(job, jobKey, "JobTokenUnavailable", "a task asks for a job token (authenticationTokenSettings access [job]), but this operator makes none: set its jobTokenClusterRole (the chart does with admissionPolicy.enabled); such tasks fail with JobTokenUnavailable");
        return;
      }
      const { account, binding, secret } = jobTokenObjects({ name, namespace }, controllerRef(job as JobObject & { apiVersion: string; kind: string }), deps.clusterRole);
      const sa = await createOrRead<V1ServiceAccount>(account);
      const owner = ownerUid(sa);
      if (owner !== uid) {
        // An earlier job of this name: its ServiceAccount goes with it, then this job's is made.
        if (owner !== undefined) return { requeueAfterMs: predecessorRetryMs };
        tell(job, jobKey, "JobTokenConflict", `ServiceAccount ${account.metadata!.name} exists and is not this job's (no Job owns it): no job token is made, and the tasks that ask for one fail with JobTokenUnavailable`);
        return;
      }
      const rb = await createOrRead<V1RoleBinding>(binding);
      if (ownerUid(rb) !== uid) return { requeueAfterMs: predecessorRetryMs };
      // Owned by the RoleBinding: revoking it removes the token's Secret, so the token stops authenticating.
      await deps.objects.create(secret({ name: rb.metadata?.name ?? "", uid: rb.metadata?.uid ?? "" })).catch((err: unknown) => {
        if (httpStatus(err) !== 409) throw err;
      });
      await annotate(namespace, name, rb.metadata?.uid ?? "");
      deps.events.record(job, "Normal", "JobTokenCreated", `job token ServiceAccount ${account.metadata!.name} made for the tasks that ask for it (authenticationTokenSettings); it is revoked when the job completes`);
    },
  };
}
