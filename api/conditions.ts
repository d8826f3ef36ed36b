import { z } from "zod";
import { timestamp } from "./names.ts";

/** The longest condition message the Kubernetes API accepts. */
export const conditionMessageMax = 32768;

/** A condition reason's form, as the Kubernetes API checks it. */
const REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

/** metav1.Condition, with the same validation the Kubernetes API applies to it. */
export const conditionSchema = z.strictObject({
  type: z
    .string()
    .max(316)
    .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/)
    .describe("Type of condition in CamelCase: Ready, Progressing, Degraded, …"),
  status: z.enum(["True", "False", "Unknown"]).describe("Status of the condition: True, False or Unknown."),
  observedGeneration: z
    .int()
    .min(0)
    .optional()
    .describe("The .metadata.generation the condition was set for."),
  lastTransitionTime: timestamp("When the condition last changed from one status to another."),
  reason: z
    .string()
    .min(1)
    .max(1024)
    .regex(REASON)
    .describe("A PascalCase, machine-readable reason for the last transition."),
  message: z.string().max(conditionMessageMax).describe("A human-readable message about the transition."),
});

export type Condition = z.infer<typeof conditionSchema>;

/** `status.conditions`: a list-map keyed by `type`. */
export const conditionsSchema = z
  .array(conditionSchema)
  .max(32)
  .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] })
  .optional()
  .describe("The latest observations of the object's state (Ready, Progressing, Degraded, …).");

/** A condition as set by a controller: always for a generation (observedGeneration on every condition, DESIGN §7). */
export type ConditionUpdate = Omit<Condition, "lastTransitionTime" | "observedGeneration"> & { observedGeneration: number };

/** `text` as a condition's reason when it has a reason's form (the API server refuses others), else `fallback`. */
export function asReason(text: string | undefined, fallback: string): string {
  return text !== undefined && text.length <= 1024 && REASON.test(text) ? text : fallback;
}

/**
 * Returns `conditions` with `update` set: lastTransitionTime changes only when the status
 * flips (or the condition is new). Returns the same array when nothing changed.
 */
export function setCondition(conditions: readonly Condition[] | undefined, update: ConditionUpdate, now: Date): Condition[] {
  const list = conditions ?? [];
  const existing = list.find((c) => c.type === update.type);
  const lastTransitionTime =
    existing !== undefined && existing.status === update.status ? existing.lastTransitionTime : now.toISOString();
  const next: Condition = { ...update, lastTransitionTime };
  if (
    existing !== undefined &&
    existing.status === next.status &&
    existing.reason === next.reason &&
    existing.message === next.message &&
    existing.observedGeneration === next.observedGeneration
  ) {
    return list as Condition[];
  }
  return existing === undefined ? [...list, next] : list.map((c) => (c.type === update.type ? next : c));
}

/** The condition of the given type, if present. */
export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
