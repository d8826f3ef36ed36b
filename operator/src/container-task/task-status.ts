// What a container task's Pod says about the task (pure): whether it waits, runs or ended, and
// the Task status that follows. The status only ever gains or changes fields, so an unchanged
// Pod gives an equal status and nothing is written.
import type { V1ContainerStatus, V1Pod } from "@kubernetes/client-node";
import type { FailureInfo } from "../../../api/failure-info.ts";
import type { TaskStatus } from "../../../api/task.ts";
import { completedConditions } from "../../../api/task-conditions.ts";
import { fetchContainer, taskContainer, uploadContainer } from "./container-pod.ts";
import { containerConfigError, containerImagePullFailed, failureExitCode, fileUploadError, resourceFileDownloadFailed } from "../../../api/failure-codes.ts";

export type PodOutcome =
  | { kind: "Waiting" }
  | { kind: "Running"; startTime?: string }
  | {
      kind: "Ended";
      startTime?: string;
      endTime?: string;
      exitCode?: number;
      failureInfo?: FailureInfo;
      /** A non-zero exit of the command: maxTaskRetryCount applies. */
      retryable: boolean;
      /** The container's termination message (its log tail when it failed). */
      message?: string;
    };

/** Waiting reasons that mean the image cannot be had. */
const pullReasons = new Set(["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "RegistryUnavailable"]);
/** Waiting reasons that mean the container cannot be created as specified. */
const configReasons = new Set(["CreateContainerConfigError", "CreateContainerError", "RunContainerError"]);

const iso = (t: Date | string | undefined) => (t === undefined ? undefined : t instanceof Date ? t.toISOString() : String(t));
const find = (list: V1ContainerStatus[] | undefined, name: string) => list?.find((s) => s.name === name);

function waitingProblem(s: V1ContainerStatus | undefined, what: string, category: FailureInfo["category"]): FailureInfo | undefined {
  const w = s?.state?.waiting;
  if (!w?.reason) return undefined;
  const detail = `${w.reason}${w.message ? `: ${w.message}` : ""}`;
  if (pullReasons.has(w.reason)) return { category, code: containerImagePullFailed, message: `${what}: ${detail}`.slice(0, 4096) };
  if (configReasons.has(w.reason)) return { category, code: containerConfigError, message: `${what}: ${detail}`.slice(0, 4096) };
  return undefined;
}

/** The outcome of one attempt, from its Pod. `imageName` is spec.containerSettings.imageName. */
export function podOutcome(pod: V1Pod, imageName: string): PodOutcome {
  const st = pod.status ?? {};
  const fetch = find(st.initContainerStatuses, fetchContainer);
  const main = find(st.containerStatuses, taskContainer);
  const upload = find(st.containerStatuses, uploadContainer);
  const hasUpload = pod.spec?.containers?.some((c) => c.name === uploadContainer) ?? false;

  const fetched = fetch?.state?.terminated;
  if (fetched && fetched.exitCode !== 0) {
    return {
      kind: "Ended",
      endTime: iso(fetched.finishedAt),
      failureInfo: { category: "UserError", code: resourceFileDownloadFailed, message: (fetched.message ?? `resource file download exited with code ${fetched.exitCode}`).trim().slice(-4096) },
      retryable: false,
    };
  }
  const fetchProblem = waitingProblem(fetch, `the task-runner image "${pod.spec?.initContainers?.[0]?.image ?? ""}"`, "ServerError");
  if (fetchProblem) return { kind: "Ended", failureInfo: fetchProblem, retryable: false };
  const mainProblem = waitingProblem(main, `containerSettings.imageName "${imageName}"`, "UserError");
  if (mainProblem) return { kind: "Ended", failureInfo: mainProblem, retryable: false };

  const ended = main?.state?.terminated;
  if (st.phase === "Failed" && st.reason === "DeadlineExceeded") {
    return {
      kind: "Ended",
      startTime: iso(ended?.startedAt),
      endTime: iso(ended?.finishedAt),
      exitCode: ended?.exitCode,
      failureInfo: { category: "UserError", code: "MaxWallClockTimeExpiry", message: "the task ran longer than constraints.maxWallClockTime" },
      retryable: false,
      message: ended?.message,
    };
  }
  if (ended) {
    const uploaded = upload?.state?.terminated;
    if (hasUpload && !uploaded) return { kind: "Running", startTime: iso(ended.startedAt) };
    let failureInfo: FailureInfo | undefined;
    if (ended.exitCode !== 0) {
      const why = ended.reason && ended.reason !== "Error" ? ` (${ended.reason})` : "";
      failureInfo = { category: "UserError", code: failureExitCode, message: `the task exited with code ${ended.exitCode}${why}` };
    }
    if (uploaded && uploaded.exitCode !== 0) {
      failureInfo = { category: "UserError", code: fileUploadError, message: (uploaded.message ?? `the upload exited with code ${uploaded.exitCode}`).trim().slice(-4096) };
    }
    return { kind: "Ended", startTime: iso(ended.startedAt), endTime: iso(ended.finishedAt), exitCode: ended.exitCode, failureInfo, retryable: ended.exitCode !== 0, message: ended.message };
  }
  if (st.phase === "Failed") {
    // Evicted, preempted, the node lost: the command did not finish.
    const detail = [st.reason, st.message].filter(Boolean).join(": ") || "the Pod failed";
    return { kind: "Ended", failureInfo: { category: "ServerError", code: "PodFailed", message: detail.slice(0, 4096) }, retryable: true };
  }
  if (main?.state?.running) return { kind: "Running", startTime: iso(main.state.running.startedAt) };
  return { kind: "Waiting" };
}

export type Observed = {
  outcome: PodOutcome;
  /** The attempt (the Pod's retry label). */
  retry: number;
  /** When the attempt's Pod was created (the retry time of a retry). */
  attemptTime?: string;
  podName: string;
  poolId: string;
  /** The tail of the task container's output, when it ended. */
  tail?: string;
  now: Date;
  /** The Task's metadata.generation, for its Completed condition. */
  generation?: number;
};

/** The Task status for what the current attempt's Pod shows; `current` when nothing changed. */
export function taskStatus(current: TaskStatus | undefined, o: Observed): TaskStatus {
  const cur = current ?? {};
  const now = o.now.toISOString();
  const retryInfo = o.retry > 0 ? { retryCount: o.retry, lastRetryTime: cur.executionInfo?.lastRetryTime && (cur.executionInfo.retryCount ?? 0) === o.retry ? cur.executionInfo.lastRetryTime : (o.attemptTime ?? now) } : {};
  const move = (state: TaskStatus["state"], at: string | undefined) =>
    cur.state === state ? {} : { state, previousState: cur.state ?? "Active", stateTransitionTime: at ?? now };
  const out = o.outcome;
  if (out.kind === "Waiting") {
    if (o.retry === 0 || (cur.executionInfo?.retryCount ?? 0) === o.retry) return current ?? {};
    return { ...cur, nodeInfo: { poolId: o.poolId, nodeId: o.podName }, executionInfo: { ...cur.executionInfo, ...retryInfo } };
  }
  const nodeInfo = { poolId: o.poolId, nodeId: o.podName };
  const startTime = cur.executionInfo?.startTime ?? out.startTime ?? (out.kind === "Ended" ? out.endTime : undefined) ?? now;
  if (out.kind === "Running") {
    return { ...cur, ...move("Running", out.startTime), nodeInfo, executionInfo: { ...cur.executionInfo, startTime, ...retryInfo } };
  }
  const endTime = out.endTime ?? now;
  const succeeded = out.exitCode === 0 && !out.failureInfo;
  // An earlier attempt's exit code, failure and tail (recorded during its back-off) are not this one's.
  const base = withoutAttemptResult(cur);
  const status: TaskStatus = {
    ...base,
    ...move("Completed", endTime),
    nodeInfo,
    conditions: completedConditions({ result: succeeded ? "Success" : "Failure", exitCode: out.exitCode, failureInfo: out.failureInfo, at: endTime, generation: o.generation ?? 0 }),
    executionInfo: {
      ...base.executionInfo,
      startTime,
      endTime,
      ...(out.exitCode !== undefined ? { exitCode: out.exitCode } : {}),
      result: succeeded ? "Success" : "Failure",
      ...(out.failureInfo ? { failureInfo: out.failureInfo } : {}),
      ...retryInfo,
    },
  };
  return withTail(status, o.tail ?? out.message);
}

/** `status` with `tail` (the end of the task container's output) as its stdoutTail, when there is one. */
export function withTail(status: TaskStatus, tail: string | undefined): TaskStatus {
  return tail ? { ...status, stdoutTail: tail.slice(-4096) } : status;
}

/**
 * The status while a failed attempt waits out its back-off: the task goes on (Running, on the
 * failed attempt's Pod), with that attempt's exit code, failure and output tail — written before
 * the next attempt starts, so the failed attempt's Pod may go once a later one exists.
 */
export function failedAttemptStatus(current: TaskStatus | undefined, o: Observed & { outcome: PodOutcome & { kind: "Ended" } }): TaskStatus {
  const out = o.outcome;
  const running = withoutAttemptResult(taskStatus(current, { ...o, outcome: { kind: "Running", startTime: out.startTime ?? out.endTime } }));
  const executionInfo = { ...running.executionInfo, ...(out.exitCode !== undefined ? { exitCode: out.exitCode } : {}), ...(out.failureInfo ? { failureInfo: out.failureInfo } : {}) };
  return withTail({ ...running, executionInfo }, o.tail ?? out.message);
}

/** `status` without an attempt's results (exit code, failure, output tail): the attempt written next brings its own. */
function withoutAttemptResult(status: TaskStatus): TaskStatus {
  const { exitCode: _exitCode, failureInfo: _failureInfo, ...info } = status.executionInfo ?? {};
  const { stdoutTail: _stdoutTail, ...rest } = status;
  return { ...rest, executionInfo: info };
}

/**
 * When an ended attempt ended, in ms since the epoch: its task container's finishedAt, else (a
 * Pod evicted before that container ended) the Pod's latest condition change, else its
 * creation. Read from the Pod, so the back-off survives an operator restart.
 */
export function attemptEndedAt(pod: V1Pod, outcome: PodOutcome & { kind: "Ended" }): number {
  if (outcome.endTime) return Date.parse(outcome.endTime);
  const changes = (pod.status?.conditions ?? []).map((c) => Date.parse(iso(c.lastTransitionTime) ?? "")).filter((t) => !Number.isNaN(t));
  if (changes.length > 0) return Math.max(...changes);
  const created = Date.parse(iso(pod.metadata?.creationTimestamp) ?? "");
  return Number.isNaN(created) ? 0 : created;
}
