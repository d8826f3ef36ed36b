// The agent's task status writes: merge patches on the status subresource with the
// resourceVersion the agent last saw, so a task requeued or reassigned meanwhile is never
// overwritten. On a conflict the task is read again and the write retried while it is
// still assigned to this node.
import type { CustomObjectsApi } from "@kubernetes/client-node";
import { mergePatch } from "../../../kube/apply.ts";
import { GROUP, VERSION } from "../../../api/group.ts";
import { taskNames, type TaskStatus } from "../../../api/task.ts";
import { nodeLabel } from "../../../api/labels.ts";

const fieldManager = "kubatch-agent";

type TaskRef = { namespace: string; name: string };
type Obj = { metadata: { resourceVersion: string; labels?: Record<string, string> }; status?: TaskStatus };

export class NotAssignedHere extends Error {}

export async function writeTaskStatus(custom: CustomObjectsApi, ref: TaskRef, node: string, resourceVersion: string, status: Record<string, unknown>): Promise<string> {
  const api = { group: GROUP, version: VERSION, plural: taskNames.plural, namespace: ref.namespace, name: ref.name, fieldManager };
  let rv = resourceVersion;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const res = (await custom.patchNamespacedCustomObjectStatus({ ...api, body: { metadata: { resourceVersion: rv }, status } }, mergePatch)) as Obj;
      return res.metadata.resourceVersion;
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
      const current = (await custom.getNamespacedCustomObject(api)) as Obj;
      if (current.metadata.labels?.[nodeLabel] !== node) throw new NotAssignedHere(`task ${ref.namespace}/${ref.name} is no longer assigned to ${node}`);
      // Completed meanwhile by the operator (job terminated): its word stands.
      if (current.status?.state === "Completed") throw new NotAssignedHere(`task ${ref.namespace}/${ref.name} was completed by the operator`);
      rv = current.metadata.resourceVersion;
    }
  }
  throw new Error(`task ${ref.namespace}/${ref.name}: status write kept conflicting`);
}
