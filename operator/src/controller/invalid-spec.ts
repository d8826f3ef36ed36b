// What every reconciler does with an object whose spec the API server accepted but the
// operator cannot use: a False condition with reason InvalidSpec naming the fields, and a
// Warning event (recorded once per message).
import type { KubernetesObject } from "@kubernetes/client-node";
import { conditionMessageMax, setCondition, type Condition, type ConditionUpdate } from "../../../api/conditions.ts";
import type { StatusRef, Writer } from "../../../kube/apply.ts";
import type { EventRecorder } from "../../../kube/events.ts";

type WithConditions = KubernetesObject & { status?: { conditions?: Condition[] } };

/** The InvalidSpec condition an object gets, for its current generation. */
export function invalidSpecCondition(obj: WithConditions, conditionType: string, message: string): ConditionUpdate {
  return { type: conditionType, status: "False", reason: "InvalidSpec", message: message.slice(0, conditionMessageMax), observedGeneration: obj.metadata?.generation ?? 0 };
}

/** Whether the object's cached conditions already say this (then reportInvalidSpec would write nothing). */
export function invalidSpecReported(obj: WithConditions, conditionType: string, message: string, now: Date): boolean {
  return setCondition(obj.status?.conditions, invalidSpecCondition(obj, conditionType, message), now) === obj.status?.conditions;
}

export async function reportInvalidSpec(
  deps: { writer: Writer; events: EventRecorder },
  obj: WithConditions,
  ref: StatusRef,
  conditionType: string,
  message: string,
  now: Date,
  extraStatus: object = {},
): Promise<void> {
  const conditions = setCondition(obj.status?.conditions, invalidSpecCondition(obj, conditionType, message), now);
  await deps.writer.patchStatus(ref, obj.status, { ...obj.status, ...extraStatus, conditions });
  deps.events.record(obj, "Warning", "InvalidSpec", message);
}
