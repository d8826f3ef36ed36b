// Job tokens (job-token-objects.ts), keyed by job: made once a job's job manager task, or any
// task or collection of the job, asks for one (authenticationTokenSettings access [job]) while
// the job runs; revoked when the job completes — its RoleBinding is deleted, so the token still
// authenticates but may do nothing; the rest goes with the job (owner references).
// Plain creates, not server-side apply: the objects never change, and create (with no patch or
// get) is all the operator needs on ServiceAccounts and Secrets of any name — it never reads a
// token and cannot change another Secret.
import type { KubernetesObject, KubernetesObjectApi } from "@kubernetes/client-node";
import { jobTokenAccount, wantsJobToken } from "../../../api/job-token.ts";
import { controllerRef } from "../../../kube/apply.ts";
import { httpStatus, ignoreNotFound } from "../../../kube/errors.ts";
import type { EventRecorder } from "../../../kube/events.ts";
import type { JobObject } from "../../../kube/objects.ts";
import type { Outcome } from "../controller/work-queue.ts";
import type { Cache } from "../pool/reconciler.ts";
import { jobTokenObjects } from "./job-token-objects.ts";

export type JobTokenDeps = {
  jobs: Cache<JobObject>;
  objects: Pick<KubernetesObjectApi, "create" | "delete">;
  /** The ClusterRole the tokens are bound to (operator config jobTokenClusterRole); absent: no tokens. */
  clusterRole?: string;
  events: EventRecorder;
};

export type JobTokens = {
  /** A task or collection of the job (`namespace/name`) asks for its token. */
  request(jobKey: string): void;
  /** The job's token is asked for (by its job manager task or by what request() was told). */
  wanted(job: JobObject, jobKey: string): boolean;
  reconcile(jobKey: string): Promise<Outcome>;
};

export function makeJobTokens(deps: JobTokenDeps): JobTokens {
  const requested = new Set<string>();
  // Per job key, the uid of the job whose token this process made or revoked (a job made again under the name is another).
  const made = new Map<string, string>();
  const revoked = new Map<string, string>();
  const wanted = (job: JobObject, jobKey: string) => wantsJobToken(job.spec?.jobManagerTask?.authenticationTokenSettings) || requested.has(jobKey);
  /** Creates `obj`: whether it is new (false: it was there already, made by an earlier process). */
  const create = (obj: KubernetesObject) =>
    deps.objects.create(obj).then(
      () => true,
      (err: unknown) => {
        if (httpStatus(err) !== 409) throw err;
        return false;
      },
    );

  return {
    request: (jobKey) => void requested.add(jobKey),
    wanted,
    async reconcile(jobKey) {
      const [namespace, name] = jobKey.split("/") as [string, string];
      const job = deps.jobs.get(name, namespace);
      if (!job) {
        requested.delete(jobKey);
        made.delete(jobKey);
        revoked.delete(jobKey);
        return;
      }
      const uid = job.metadata?.uid ?? "";
      if (!wanted(job, jobKey) || job.metadata?.deletionTimestamp) return;
      if (!deps.clusterRole) {
        if (made.get(jobKey) !== uid) {
          made.set(jobKey, uid);
          deps.events.record(job, "Warning", "JobTokenUnavailable", "a task asks for a job token (authenticationTokenSettings access [job]), but this operator makes none: set its jobTokenClusterRole (the chart does with admissionPolicy.enabled); such tasks fail with JobTokenUnavailable");
        }
        return;
      }
      if (job.status?.state === "Completed") {
        if (revoked.get(jobKey) === uid) return;
        await deps.objects
          .delete({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: jobTokenAccount(name), namespace } })
          .catch(ignoreNotFound);
        revoked.set(jobKey, uid);
        return;
      }
      if (made.get(jobKey) === uid) return;
      let fresh = false;
      for (const obj of jobTokenObjects({ name, namespace }, controllerRef(job as JobObject & { apiVersion: string; kind: string }), deps.clusterRole)) {
        if (await create(obj as KubernetesObject)) fresh = true;
      }
      made.set(jobKey, uid);
      if (fresh) deps.events.record(job, "Normal", "JobTokenCreated", `job token ServiceAccount ${jobTokenAccount(name)} made for the tasks that ask for it (authenticationTokenSettings); it is revoked when the job completes`);
    },
  };
}
