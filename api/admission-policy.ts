// The API server's guard of the scheduler's record (ValidatingAdmissionPolicies, CEL; GA in
// Kubernetes 1.30). One source for the Helm chart (charts/kubatch/files/admission/, written by
// `node api/crd-gen/main.ts`) and the local cluster's deploy (which applies those files).
//
// - task-assignment.kubatch.dev (tasks, CREATE/UPDATE): only a requester holding the `assign` verb
//   on tasks.kubatch.dev (the operator) sets or changes the node label or the assignment
//   annotation. Anyone who may update the task may remove both together (what `kubatch task
//   reactivate` does): that only puts the task back in the scheduler's queue.
// - task-status-by-node.kubatch.dev (tasks/status and collectionchunks/status, UPDATE, which
//   PATCH is): a node agent — the namespace's kubatch-node ServiceAccount, or any ServiceAccount
//   whose token is bound to a pod — writes the status of a task (or chunk) assigned to its own pod only: the stored node label must
//   equal the pod named in the token. The operator (it holds `assign`) is not a node agent,
//   even when its in-cluster token is bound to its pod.
//
// - node-pod-annotation.kubatch.dev (pods, UPDATE): the kubatch-node ServiceAccount changes the
//   start-task-info annotation of its own pod and nothing else (nodePodPolicy below).
// - job-token.kubatch.dev (tasks and taskcollections, CREATE/UPDATE): a job token (the
//   ServiceAccount kubatch-job-<job>, job-token.ts) writes Tasks and TaskCollections of <job> only.
//
// The operator is recognised by a permission, not by a username: the chart binds it to the
// operator's ServiceAccount, whatever the release calls it; the local cluster's operator runs
// as the cluster admin, which holds every verb; and policies are conjunctive, so a second
// release's copy (same rules, its own names) never blocks the first one's operator.
import { GROUP } from "./group.ts";
import { assignVerb, nodeServiceAccount } from "./identities.ts";
import { jobTokenAccountPrefix } from "./job-token.ts";
import { assignmentAnnotation, nodeLabel, startTaskInfoAnnotation } from "./labels.ts";

const apiVersion = "admissionregistration.k8s.io/v1";
// Dotted like the CRDs' names, so none is ever a chart release's `<fullname>-task-…` (two
// installations, each with its own copy, never collide).
export const assignmentPolicyName = `task-assignment.${GROUP}`;
export const nodeStatusPolicyName = `task-status-by-node.${GROUP}`;
export const nodePodPolicyName = `node-pod-annotation.${GROUP}`;
export const jobTokenPolicyName = `job-token.${GROUP}`;
/** The claim a bound ServiceAccount token carries for the pod it was issued to. */
export const podNameExtra = "authentication.kubernetes.io/pod-name";

export type AdmissionObject = {
  apiVersion: string;
  kind: "ValidatingAdmissionPolicy" | "ValidatingAdmissionPolicyBinding";
  metadata: { name: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
};

const labels = { "app.kubernetes.io/part-of": "kubatch" };
const q = (s: string) => `'${s}'`;
/** `[value]` when the map holds the key, else `[]`: an absent key and an empty value stay apart. */
const entry = (obj: string, map: "labels" | "annotations", key: string) =>
  `has(${obj}.metadata.${map}) && ${q(key)} in ${obj}.metadata.${map} ? [${obj}.metadata.${map}[${q(key)}]] : []`;
const user = "request.userInfo.username";
/** The token is bound to a pod: its name is in the pod-name claim. */
const hasPod = `has(request.userInfo.extra) && ${q(podNameExtra)} in request.userInfo.extra && size(request.userInfo.extra[${q(podNameExtra)}]) > 0`;
/** The name of the pod the token is bound to, or ''. */
const podOfToken = { name: "pod", expression: `${hasPod} ? request.userInfo.extra[${q(podNameExtra)}][0] : ''` };
const holdsAssign = `authorizer.group(${q(GROUP)}).resource('tasks').namespace(request.namespace).check(${q(assignVerb)}).allowed()`;

const onlyTheOperator = (field: string) =>
  `${field}: only the kubatch operator (the "${assignVerb}" verb on tasks.${GROUP}) sets or changes it; ` +
  `anyone else may only remove metadata.labels[${nodeLabel}] and metadata.annotations[${assignmentAnnotation}] together`;

function assignmentPolicy(): AdmissionObject {
  return {
    apiVersion,
    kind: "ValidatingAdmissionPolicy",
    metadata: { name: assignmentPolicyName, labels },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: { resourceRules: [{ apiGroups: [GROUP], apiVersions: ["*"], operations: ["CREATE", "UPDATE"], resources: ["tasks"] }] },
      // Lazily evaluated: the authorizer is asked only when the record changes.
      variables: [
        { name: "node", expression: entry("object", "labels", nodeLabel) },
        { name: "assignment", expression: entry("object", "annotations", assignmentAnnotation) },
        { name: "oldNode", expression: `oldObject == null ? [] : (${entry("oldObject", "labels", nodeLabel)})` },
        { name: "oldAssignment", expression: `oldObject == null ? [] : (${entry("oldObject", "annotations", assignmentAnnotation)})` },
        { name: "unassigned", expression: "size(variables.node) == 0 && size(variables.assignment) == 0" },
        { name: "operator", expression: holdsAssign },
      ],
      validations: [
        {
          expression: "variables.node == variables.oldNode || variables.unassigned || variables.operator",
          message: onlyTheOperator(`metadata.labels[${nodeLabel}]`),
          reason: "Forbidden",
        },
        {
          expression: "variables.assignment == variables.oldAssignment || variables.unassigned || variables.operator",
          message: onlyTheOperator(`metadata.annotations[${assignmentAnnotation}]`),
          reason: "Forbidden",
        },
      ],
    },
  };
}

function nodeStatusPolicy(): AdmissionObject {
  return {
    apiVersion,
    kind: "ValidatingAdmissionPolicy",
    metadata: { name: nodeStatusPolicyName, labels },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: { resourceRules: [{ apiGroups: [GROUP], apiVersions: ["*"], operations: ["UPDATE"], resources: ["tasks/status", "collectionchunks/status"] }] },
      matchConditions: [
        {
          name: "node-agent",
          expression: `${user}.startsWith('system:serviceaccount:') && (${user}.endsWith(${q(`:${nodeServiceAccount}`)}) || (${hasPod}))`,
        },
      ],
      // Lazily evaluated: the authorizer is asked only on a write that would be refused.
      variables: [
        podOfToken,
        // The stored object's: a status write cannot change labels.
        { name: "node", expression: `has(oldObject.metadata.labels) && ${q(nodeLabel)} in oldObject.metadata.labels ? oldObject.metadata.labels[${q(nodeLabel)}] : ''` },
        { name: "operator", expression: holdsAssign },
      ],
      validations: [
        {
          expression: "variables.pod != '' || variables.operator",
          message: `status: a node agent writes task status with a token bound to its pod (${podNameExtra}); this token is bound to none`,
          reason: "Forbidden",
        },
        {
          expression: "variables.pod == '' || variables.node == variables.pod || variables.operator",
          messageExpression: `'metadata.labels[${nodeLabel}] is "' + variables.node + '": the node agent of pod "' + variables.pod + '" writes the status of tasks assigned to it only'`,
          message: `metadata.labels[${nodeLabel}]: a node agent writes the status of tasks assigned to its pod only`,
          reason: "Forbidden",
        },
      ],
    },
  };
}

/**
 * node-pod-annotation.kubatch.dev (pods, UPDATE, which PATCH is): the kubatch-node
 * ServiceAccount may patch pods (to report a start task without waitForSuccess), but only its
 * own pod — the one its token is bound to — and only the start-task-info annotation of it.
 */
function nodePodPolicy(): AdmissionObject {
  const key = q(startTaskInfoAnnotation);
  const annotations = (obj: string) => `has(${obj}.metadata.annotations) ? ${obj}.metadata.annotations : {}`;
  const same = (field: string) => `(has(object.metadata.${field}) ? object.metadata.${field} : []) == (has(oldObject.metadata.${field}) ? oldObject.metadata.${field} : [])`;
  return {
    apiVersion,
    kind: "ValidatingAdmissionPolicy",
    metadata: { name: nodePodPolicyName, labels },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["UPDATE"], resources: ["pods"] }] },
      matchConditions: [{ name: "node-agent", expression: `${user}.startsWith('system:serviceaccount:') && ${user}.endsWith(${q(`:${nodeServiceAccount}`)})` }],
      variables: [
        podOfToken,
        { name: "annotations", expression: annotations("object") },
        { name: "oldAnnotations", expression: annotations("oldObject") },
      ],
      validations: [
        {
          expression: "variables.pod != '' && object.metadata.name == variables.pod",
          messageExpression: `'a node agent changes its own pod only (its token is bound to "' + variables.pod + '"), not "' + object.metadata.name + '"'`,
          message: "a node agent changes its own pod only",
          reason: "Forbidden",
        },
        {
          expression:
            `variables.annotations.all(k, k == ${key} || (k in variables.oldAnnotations && variables.oldAnnotations[k] == variables.annotations[k])) && ` +
            `variables.oldAnnotations.all(k, k == ${key} || k in variables.annotations) && ` +
            `object.spec == oldObject.spec && ` +
            `(has(object.metadata.labels) ? object.metadata.labels : {}) == (has(oldObject.metadata.labels) ? oldObject.metadata.labels : {}) && ` +
            `${same("finalizers")} && ${same("ownerReferences")}`,
          message: `metadata.annotations[${startTaskInfoAnnotation}]: a node agent changes only this annotation of its pod`,
          reason: "Forbidden",
        },
      ],
    },
  };
}

/**
 * job-token.kubatch.dev: the job token's Role lets it create Tasks and TaskCollections in the
 * namespace (RBAC cannot look into the object); this holds them to the token's own job, read
 * from the ServiceAccount's name (`kubatch-job-<job>`). jobId is jobName's alias, so both count.
 */
function jobTokenPolicy(): AdmissionObject {
  const prefix = `'system:serviceaccount:' + request.namespace + ${q(`:${jobTokenAccountPrefix}`)}`;
  return {
    apiVersion,
    kind: "ValidatingAdmissionPolicy",
    metadata: { name: jobTokenPolicyName, labels },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: { resourceRules: [{ apiGroups: [GROUP], apiVersions: ["*"], operations: ["CREATE", "UPDATE"], resources: ["tasks", "taskcollections"] }] },
      matchConditions: [{ name: "job-token", expression: `${user}.startsWith(${prefix})` }],
      variables: [
        { name: "job", expression: `${user}.substring(size(${prefix}))` },
        { name: "named", expression: "has(object.spec.jobName) ? object.spec.jobName : (has(object.spec.jobId) ? object.spec.jobId : '')" },
      ],
      validations: [
        {
          expression: "variables.named == variables.job",
          messageExpression: `'spec.jobName: a job token of job "' + variables.job + '" adds tasks to that job only, not to "' + variables.named + '"'`,
          message: "spec.jobName: a job token adds tasks to its own job only",
          reason: "Forbidden",
        },
      ],
    },
  };
}

const binding = (policyName: string): AdmissionObject => ({
  apiVersion,
  kind: "ValidatingAdmissionPolicyBinding",
  metadata: { name: policyName, labels },
  spec: { policyName, validationActions: ["Deny"] },
});

/** The policies with their bindings, in the order they are applied (a binding after its policy). */
export function taskAdmissionPolicies(): AdmissionObject[] {
  return [assignmentPolicy(), binding(assignmentPolicyName), nodeStatusPolicy(), binding(nodeStatusPolicyName), nodePodPolicy(), binding(nodePodPolicyName), jobTokenPolicy(), binding(jobTokenPolicyName)];
}
