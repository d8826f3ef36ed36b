// A job's token (Azure Batch authenticationTokenSettings access [job], api/job-token.ts), pure:
// its ServiceAccount, the Secret the token controller fills with a token of it, and the
// RoleBinding to the job-token ClusterRole; all three owned by the Job, so deleting the job
// deletes them. A Secret-held token rather than a TokenRequest: it lives exactly as long as the
// Secret (a job runs for days; nobody has to renew it), and the operator never reads it —
// node agents read it by name (secret-names.ts), as they read the tasks' storage Secrets.
import type { V1OwnerReference, V1RoleBinding, V1Secret, V1ServiceAccount } from "@kubernetes/client-node";
import { jobTokenAccount, jobTokenSecret } from "../../../api/job-token.ts";
import { addedTaskJobLabel } from "../../../api/labels.ts";

export type JobTokenObjects = [V1ServiceAccount, V1Secret, V1RoleBinding];

/** In the order they are created: the Secret names the ServiceAccount, which must exist first. */
export function jobTokenObjects(job: { name: string; namespace: string }, owner: V1OwnerReference, clusterRole: string): JobTokenObjects {
  const account = jobTokenAccount(job.name);
  const labels = { "app.kubernetes.io/managed-by": "kubatch", "app.kubernetes.io/component": "job-token", [addedTaskJobLabel]: job.name };
  const metadata = (name: string) => ({ name, namespace: job.namespace, labels, ownerReferences: [owner] });
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: metadata(account), automountServiceAccountToken: false },
    {
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/service-account-token",
      metadata: { ...metadata(jobTokenSecret(job.name)), annotations: { "kubernetes.io/service-account.name": account } },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: metadata(account),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole },
      subjects: [{ kind: "ServiceAccount", name: account, namespace: job.namespace }],
    },
  ];
}
