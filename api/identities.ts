// Who may do what to Tasks beyond Kubernetes RBAC's verbs: the names the operator, the chart,
// the local cluster and the admission policies (admission-policy.ts) agree on.

/** The node agents' ServiceAccount, Role and RoleBinding, in each namespace with pools. */
export const nodeServiceAccount = "kubatch-node";
/** The identity of container tasks' `upload` container (reads its own Pod and the task container's log). */
export const uploadServiceAccount = "kubatch-upload";
/**
 * The RBAC verb on tasks.kubatch.dev that lets a request set or change a task's node label and
 * assignment annotation (the scheduler's record). Not a verb of the REST API: only the
 * admission policy asks for it, as Kubernetes itself asks for `bind` and `escalate` on Roles.
 * The chart grants it to the operator alone; `*` (cluster-admin) includes it.
 */
export const assignVerb = "assign";
