// The identity of node agents in a namespace (pure): a ServiceAccount that may read tasks and
// jobs, write task status, read the Secrets that tasks name for their storage credentials, and
// (container tasks' upload container) read Pods and their logs.
import type { V1Role, V1RoleBinding, V1ServiceAccount } from "@kubernetes/client-node";
import { GROUP } from "../../../api/group.ts";

export const nodeServiceAccount = "kubatch-node";

export function nodeRbac(namespace: string): [V1ServiceAccount, V1Role, V1RoleBinding] {
  const labels = { "app.kubernetes.io/managed-by": "kubatch", "app.kubernetes.io/name": "kubatch-node" };
  const metadata = { name: nodeServiceAccount, namespace, labels };
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata,
      rules: [
        { apiGroups: [GROUP], resources: ["tasks", "jobs"], verbs: ["get", "list", "watch"] },
        { apiGroups: [GROUP], resources: ["tasks/status"], verbs: ["get", "patch", "update"] },
        { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
        // The `upload` container of a container task's Pod waits for the task container's exit and saves its log.
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "watch"] },
        { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
        { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata,
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: nodeServiceAccount },
      subjects: [{ kind: "ServiceAccount", name: nodeServiceAccount, namespace }],
    },
  ];
}
