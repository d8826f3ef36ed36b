// A job as the controller owner of its tasks and collections: deleting the job deletes them
// (garbage collection), as Azure Batch's job delete does. Tasks get it with their assignment
// (dispatcher.ts); the rest (waiting, completed, collections) from the job reconciler.
import type { V1OwnerReference } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../../api/group.ts";
import { jobNames } from "../../../api/job.ts";
import { controllerRef } from "../../../kube/apply.ts";

export function jobOwnerRef(name: string, uid: string): V1OwnerReference {
  return controllerRef({ apiVersion: `${GROUP}/${VERSION}`, kind: jobNames.kind, metadata: { name, uid } });
}
