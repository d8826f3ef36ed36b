// What every reconciler does with an object whose spec the API server accepted but the
// operator cannot use: a False condition with reason InvalidSpec naming the fields, and a
// Warning event (recorded once per message).
import type { KubernetesObject } from "@kubernetes/client-node";
import { setCondition, type Condition } from "../../../api/conditions.ts";
import type { StatusRef, Writer } from "../../../kube/apply.ts";
import type { EventRecorder } from "../../../kube/events.ts";

type WithConditions = KubernetesObject & { status?: { conditions?: Condition[] } };

export async function reportInvalidSpec(
  deps: { writer: Writer; events: EventRecorder },
  obj: WithConditions,
  ref: StatusRef,
  conditionType: string,
  message: string,
  now: Date,
  extraStatus: object = {},
): Promise<void> {
  const conditions = setCondition(obj.status?.conditions, { type: conditionType, status: "False", reason: "InvalidSpec", message, observedGeneration: obj.metadata?.generation ?? 0 }, now);
  await deps.writer.patchStatus(ref, obj.status, { ...obj.status, ...extraStatus, conditions });
  deps.events.record(obj, "Warning", "InvalidSpec", message);
}
