// The job manager task (Azure Batch JobManagerTask) is an ordinary Task the job reconciler
// creates when the job starts, owned by the job. runExclusive takes every slot of a node, so
// nothing else runs beside it; allowLowPriorityNode false keeps it to dedicated nodes. With killJobOnCompletion its completion ends the job (JMComplete).
import type { V1OwnerReference } from "@kubernetes/client-node";
import { API_VERSION } from "../../../api/group.ts";
import { dedicatedNodeOnlyAnnotation, jobManagerLabel } from "../../../api/labels.ts";
import type { Job } from "../../../api/job.ts";
import { taskNames, type TaskInput } from "../../../api/task.ts";


/** `<job>-<id>` as a Kubernetes name (ids allow upper case and '_'). */
export function jobManagerTaskName(jobName: string, id: string): string {
  return `${jobName}-${id.toLowerCase().replace(/_/g, "-")}`.replace(/-+$/, "").slice(0, taskNames.maxNameLength);
}

/** The Task for the job's jobManagerTask, or undefined when it has none. */
export function jobManagerTask(job: Job, owner: V1OwnerReference, slotsPerNode: number | undefined): TaskInput | undefined {
  const jm = job.spec.jobManagerTask;
  if (!jm) return undefined;
  return {
    apiVersion: API_VERSION,
    kind: taskNames.kind,
    metadata: {
      name: jobManagerTaskName(job.metadata.name, jm.id),
      namespace: job.metadata.namespace,
      labels: { [jobManagerLabel]: job.metadata.name },
      ...(jm.allowLowPriorityNode ? {} : { annotations: { [dedicatedNodeOnlyAnnotation]: "true" } }),
      ownerReferences: [owner],
    },
    spec: {
      jobName: job.metadata.name,
      id: jm.id,
      ...(jm.displayName ? { displayName: jm.displayName } : {}),
      commandLine: jm.commandLine,
      ...(jm.containerSettings ? { containerSettings: jm.containerSettings } : {}),
      ...(jm.resourceFiles ? { resourceFiles: jm.resourceFiles } : {}),
      ...(jm.outputFiles ? { outputFiles: jm.outputFiles } : {}),
      ...(jm.environmentSettings ? { environmentSettings: jm.environmentSettings } : {}),
      ...(jm.authenticationTokenSettings ? { authenticationTokenSettings: jm.authenticationTokenSettings } : {}),
      ...(jm.userIdentity ? { userIdentity: jm.userIdentity } : {}),
      constraints: jm.constraints,
      requiredSlots: jm.runExclusive && slotsPerNode !== undefined ? Math.max(slotsPerNode, jm.requiredSlots) : jm.requiredSlots,
    },
  } satisfies TaskInput;
}
