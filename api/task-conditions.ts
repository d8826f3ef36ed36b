// The condition a completed Task carries, whoever completed it (the node's agent, the operator
// ending it, a container task's reconciler): `kubectl wait --for=condition=Completed ktask/X`
// works, and its reason says how it ended. It replaces the conditions a waiting task had.
import { asReason, type Condition } from "./conditions.ts";
import type { FailureInfo } from "./failure-info.ts";

export function completedConditions(o: { result: "Success" | "Failure"; exitCode?: number; failureInfo?: FailureInfo | null; at: Date | string; generation: number }): Condition[] {
  const how = o.exitCode === undefined || o.exitCode === null ? "" : `exit code ${o.exitCode}`;
  const message = o.result === "Success" ? `succeeded${how ? ` (${how})` : ""}` : [`failed${how ? ` (${how})` : ""}`, o.failureInfo?.message].filter(Boolean).join(": ").slice(0, 1024);
  return [
    {
      type: "Completed",
      status: "True",
      // A failure code is the reason when it has a reason's form (all of kubatch's and Azure's do).
      reason: o.result === "Success" ? "Succeeded" : asReason(o.failureInfo?.code, "Failed"),
      message,
      lastTransitionTime: typeof o.at === "string" ? o.at : o.at.toISOString(),
      observedGeneration: o.generation,
    },
  ];
}
