// The identities the operator makes in a namespace (pure):
// - kubatch-node, the node agents': read tasks, jobs, collections and their chunks, write task
//   and chunk status (the admission policy narrows that to those assigned to the agent's own
//   pod), record events, and get the
//   Secrets the namespace's tasks and jobs name for their storage credentials — by name, the
//   names the operator keeps up to date (secret-names.ts). User code on a node runs beside
//   the agent and can read its token, so nothing more: no other Secret, no Pods, no logs.
// - kubatch-upload, container tasks' `upload` container's: read its Pod (the task container's
//   exit) and that container's log. Only that container gets the token; the user's code none.
import type { V1PolicyRule, V1Role, V1RoleBinding, V1ServiceAccount } from "@kubernetes/client-node";
import { GROUP } from "../../../api/group.ts";
import { nodeServiceAccount, uploadServiceAccount } from "../../../api/identities.ts";

type Identity = [V1ServiceAccount, V1Role, V1RoleBinding];

function identity(name: string, namespace: string, rules: V1PolicyRule[]): Identity {
  const labels = { "app.kubernetes.io/managed-by": "kubatch", "app.kubernetes.io/name": name };
  const metadata = { name, namespace, labels };
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata },
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata, rules },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata,
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    },
  ];
}

export type NodeRbacOptions = {
  /** The node-pod-annotation admission policy is installed (operator config nodePodAnnotationPolicy). */
  podAnnotation?: boolean;
};

/** The node agents' rules; `secretNames` sorted and unique (agentSecretNames). */
export function nodeRules(secretNames: readonly string[], opts: NodeRbacOptions = {}): V1PolicyRule[] {
  return [
    { apiGroups: [GROUP], resources: ["tasks", "jobs", "taskcollections", "collectionchunks"], verbs: ["get", "list", "watch"] },
    { apiGroups: [GROUP], resources: ["tasks/status", "collectionchunks/status"], verbs: ["get", "patch", "update"] },
    // An empty resourceNames would mean every Secret: no names, no rule.
    ...(secretNames.length > 0 ? [{ apiGroups: [""], resources: ["secrets"], resourceNames: [...secretNames], verbs: ["get"] }] : []),
    { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
    // Its own pod's start-task-info annotation only: granted only where the admission policy
    // node-pod-annotation narrows it so; without the policy it would let a node change any pod.
    ...(opts.podAnnotation ? [{ apiGroups: [""], resources: ["pods"], verbs: ["patch"] }] : []),
  ];
}

export function nodeRbac(namespace: string, secretNames: readonly string[], opts: NodeRbacOptions = {}): Identity {
  return identity(nodeServiceAccount, namespace, nodeRules(secretNames, opts));
}

export function uploadRbac(namespace: string): Identity {
  return identity(uploadServiceAccount, namespace, [
    // get and watch (by name: a field selector on metadata.name) of its own Pod; the log of its task container.
    { apiGroups: [""], resources: ["pods"], verbs: ["get", "watch"] },
    { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
  ]);
}
