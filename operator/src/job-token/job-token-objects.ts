// A job's token (Azure Batch authenticationTokenSettings access [job], api/job-token.ts), pure:
// its ServiceAccount and the RoleBinding to the job-token ClusterRole, owned by the Job (deleting
// the job deletes them), and the Secret the token controller fills with a token of it, owned by
// the RoleBinding. A Secret-held token rather than a TokenRequest: it lives exactly as long as the
// Secret (a job runs for days; nobody has to renew it), and the operator never reads it —
// node agents read it by name (secret-names.ts), as they read the tasks' storage Secrets.
import type { V1OwnerReference, V1RoleBinding, V1Secret, V1ServiceAccount } from "@kubernetes/client-node";
import { jobTokenAccount, jobTokenSecret, serviceAccountNameAnnotation, serviceAccountTokenType } from "../../../api/job-token.ts";
import { addedTaskJobLabel } from "../../../api/labels.ts";

export type JobTokenObjects = {
  account: V1ServiceAccount;
  binding: V1RoleBinding;
  /** The token's Secret, owned by the RoleBinding as made: revoking the binding removes the token. */
  secret: (binding: { name: string; uid: string }) => V1Secret;
};

/** The ServiceAccount first (the Secret names it, the RoleBinding binds it), then the RoleBinding, then the Secret. */
export function jobTokenObjects(job: { name: string; namespace: string }, owner: V1OwnerReference, clusterRole: string): JobTokenObjects {
  const account = jobTokenAccount(job.name);
  const labels = { "app.kubernetes.io/managed-by": "kubatch", "app.kubernetes.io/component": "job-token", [addedTaskJobLabel]: job.name };
  const metadata = (name: string, owners: V1OwnerReference[]) => ({ name, namespace: job.namespace, labels, ownerReferences: owners });
  return {
    account: { apiVersion: "v1", kind: "ServiceAccount", metadata: metadata(account, [owner]), automountServiceAccountToken: false },
    binding: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: metadata(account, [owner]),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole },
      subjects: [{ kind: "ServiceAccount", name: account, namespace: job.namespace }],
    },
    secret: (binding) => ({
      apiVersion: "v1",
      kind: "Secret",
      type: serviceAccountTokenType,
      metadata: {
        ...metadata(jobTokenSecret(job.name), [{ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", name: binding.name, uid: binding.uid, controller: true }]),
        annotations: { [serviceAccountNameAnnotation]: account },
      },
    }),
  };
}
