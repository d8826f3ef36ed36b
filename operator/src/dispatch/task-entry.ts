// The few fields of a Task the scheduler and the job counts need, read without a full parse
// (tasks are many; the full schema check runs once per generation, see task-validation.ts).
import { parseDuration } from "../../../api/duration.ts";
import { resolveExitOptions } from "../job/exit-options.ts";
import type { TaskEntry } from "./dispatch-state.ts";
import { dedicatedNodeOnlyAnnotation, jobActionAppliedAnnotation, nodeLabel, terminateAnnotation } from "../../../api/labels.ts";
import { jobOwnerUid } from "../../../kube/apply.ts";
import type { TaskObject } from "../../../kube/objects.ts";
import { jobNameOf } from "../../../api/job-name.ts";

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
  const endTime = status?.executionInfo?.endTime;
  const applied = meta.annotations?.[jobActionAppliedAnnotation] !== undefined && meta.annotations[jobActionAppliedAnnotation] === (status?.executionInfo?.endTime ?? "");
  return {
    key: `${namespace}/${meta.name}`,
    uid: meta.uid,
    namespace,
    name: meta.name ?? "",
    jobKey: `${namespace}/${jobNameOf(obj.spec) ?? ""}`,
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
    terminateReason: completed ? undefined : meta.annotations?.[terminateAnnotation],
    dedicatedOnly: meta.annotations?.[dedicatedNodeOnlyAnnotation] === "true" || undefined,
    dependencyAction: exit?.dependencyAction,
    jobAction: applied ? undefined : exit?.jobAction,
    exitCode: status?.executionInfo?.exitCode,
    failureCode: status?.executionInfo?.failureInfo?.code,
    endTime,
    retireAt: completed && endTime ? retireAt(endTime, obj.spec?.constraints?.retentionTime) : undefined,
    generation: meta.generation,
    conditions: status?.conditions,
    ...(meta.ownerReferences?.length ? {} : { unowned: true }),
    ...ownedBy(meta.ownerReferences),
    ...(status?.preparationFailedNodes?.length ? { prepFailedNodes: status.preparationFailedNodes } : {}),
  };
}

/** The job that owns it, as the entry holds it. */
function ownedBy(refs: Parameters<typeof jobOwnerUid>[0]): { ownerUid?: string } {
  const uid = jobOwnerUid(refs);
  return uid ? { ownerUid: uid } : {};
}

/** When a completed task is deleted: its end plus constraints.retentionTime (default P7D, as the CRD defaults it). */
function retireAt(endTime: string, retentionTime: string | undefined): number | undefined {
  const end = Date.parse(endTime);
  if (Number.isNaN(end)) return undefined;
  try {
    return end + parseDuration(retentionTime ?? "P7D");
  } catch {
    return undefined; // Refused by the schema check (task-validation.ts); kept until the spec is fixed.
  }
}
