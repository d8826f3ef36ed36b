// The few fields of a Task the scheduler and the job counts need, read without a full parse
// (tasks are many; the full schema check runs once per generation, see task-validation.ts).
import { resolveExitOptions } from "../job/exit-options.ts";
import type { TaskEntry } from "./dispatch-state.ts";
import { jobActionAppliedAnnotation, nodeLabel } from "../../../api/labels.ts";
import type { TaskObject } from "../../../kube/objects.ts";

/** A creationTimestamp as the entries hold it: client-node gives a Date, plain JSON a string. */
export const timestampText = (t: Date | string | undefined): string => (t instanceof Date ? t.toISOString() : String(t ?? ""));

export function taskEntry(obj: TaskObject): TaskEntry {
  const meta = obj.metadata ?? {};
  const namespace = meta.namespace ?? "";
  const status = obj.status;
  const created = meta.creationTimestamp;
  const completed = status?.state === "Completed";
  const exit = completed
    ? resolveExitOptions(obj.spec?.exitConditions, { result: status?.executionInfo?.result, exitCode: status?.executionInfo?.exitCode, failureCode: status?.executionInfo?.failureInfo?.code })
    : undefined;
  const applied = meta.annotations?.[jobActionAppliedAnnotation] !== undefined && meta.annotations[jobActionAppliedAnnotation] === (status?.executionInfo?.endTime ?? "");
  return {
    key: `${namespace}/${meta.name}`,
    namespace,
    name: meta.name ?? "",
    jobKey: `${namespace}/${obj.spec?.jobName ?? obj.spec?.jobId ?? ""}`,
    resourceVersion: meta.resourceVersion ?? "",
    created: timestampText(created),
    requiredSlots: obj.spec?.requiredSlots ?? 1,
    node: meta.labels?.[nodeLabel],
    completed,
    state: status?.state ?? "Active",
    result: status?.executionInfo?.result,
    requeueCount: status?.executionInfo?.requeueCount ?? 0,
    reportedNode: status?.nodeInfo?.nodeId,
    affinityNode: obj.spec?.affinityInfo?.affinityId,
    id: obj.spec?.id ?? meta.name,
    dependsOn: obj.spec?.dependsOn,
    runsInPod: obj.spec?.containerSettings !== undefined,
    dependencyAction: exit?.dependencyAction,
    jobAction: applied ? undefined : exit?.jobAction,
    exitCode: status?.executionInfo?.exitCode,
    failureCode: status?.executionInfo?.failureInfo?.code,
    endTime: status?.executionInfo?.endTime,
    generation: meta.generation,
    conditions: status?.conditions,
  };
}
