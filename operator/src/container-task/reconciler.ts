// Container tasks (spec.containerSettings): each attempt runs as its own Pod, owned by the
// Task. Shaped like the other reconcilers: read from the caches, build the desired Pod with a
// pure builder, server-side apply it, derive the Task status from the Pod (pure) and write it
// only when it changed. The scheduler never dispatches these tasks; dependencies and the job's
// state are checked here against the same DispatchState.
import type { CoreV1Api, V1Pod } from "@kubernetes/client-node";
import { setCondition, type ConditionUpdate } from "../../../api/conditions.ts";
import { parseDuration } from "../../../api/duration.ts";
import { GROUP, VERSION } from "../../../api/group.ts";
import { parseJob, type Job } from "../../../api/job.ts";
import { parseTask, taskNames, type Task, type TaskStatus } from "../../../api/task.ts";
import { poolIdOf } from "../../../api/pool-id.ts";
import type { OperatorConfig } from "../config/operator-config.ts";
import type { Outcome } from "../controller/work-queue.ts";
import type { DispatchState, TaskEntry } from "../dispatch/dispatch-state.ts";
import type { Writer } from "../../../kube/apply.ts";
import { ignoreNotFound } from "../../../kube/errors.ts";
import type { EventRecorder } from "../../../kube/events.ts";
import type { Cache } from "../pool/reconciler.ts";
import { activeSinceOf, ContainerTaskError, containerTaskPod, taskContainer } from "./container-pod.ts";
import { podOutcome, taskStatus, type PodOutcome } from "./task-status.ts";
import type { TaskObject, JobObject } from "../../../kube/objects.ts";
import { containerPodActiveSinceAnnotation, containerPodJobLabel, containerPodRetryLabel } from "../../../api/labels.ts";

export type ContainerTaskDeps = {
  tasks: Cache<TaskObject>;
  jobs: Cache<JobObject>;
  state: DispatchState;
  writer: Writer;
  core: CoreV1Api;
  events: EventRecorder;
  config: OperatorConfig;
  enqueue: (key: string) => void;
  /** Applies the node agents' ServiceAccount and Role in a namespace (once per process). */
  ensureNodeRbac: (namespace: string) => Promise<void>;
  log: (line: string) => void;
  now?: () => Date;
};

export type ContainerTasks = {
  reconcile(key: string): Promise<Outcome>;
  /** From the Job informer: tasks of the job whose Pods exist may have to stop. */
  onJob(jobKey: string): void;
  /** From the Task informer: the task itself, and tasks waiting on dependencies in its job. */
  onTask(kind: "add" | "update" | "delete", entry: TaskEntry, before: TaskEntry | undefined): void;
  /** From the Pod informer: indexes the Pod by its owning task and enqueues that task. */
  onPod(kind: "add" | "update" | "delete", pod: V1Pod): void;
};

const tailBytes = 1024;
const jobWaitMs = 5_000;

const retryOf = (pod: V1Pod) => Number(pod.metadata?.labels?.[containerPodRetryLabel] ?? 0);
/**
 * A Pod whose task has run: its phase says so, or its task container has terminated (a kubelet
 * reports the container before it moves the Pod's phase, and the upload step may still run).
 */
const ended = (pod: V1Pod) =>
  pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed" || pod.status?.containerStatuses?.some((c) => c.name === taskContainer && c.state?.terminated !== undefined) === true;

export function makeContainerTasks(deps: ContainerTaskDeps): ContainerTasks {
  const now = deps.now ?? (() => new Date());
  /** jobKey → container tasks waiting for dependencies there. */
  const waiting = new Map<string, Set<string>>();
  /** Task uid → its Pods by name, kept by onPod (a namespace may hold many container tasks). */
  const podsByTask = new Map<string, Map<string, V1Pod>>();

  const statusRef = (raw: TaskObject) => ({
    group: GROUP,
    version: VERSION,
    plural: taskNames.plural,
    namespace: raw.metadata!.namespace!,
    name: raw.metadata!.name!,
    resourceVersion: raw.metadata!.resourceVersion,
  });
  const write = async (raw: TaskObject, next: TaskStatus) =>
    next !== raw.status && (raw.status !== undefined || Object.keys(next).length > 0) && (await deps.writer.patchStatus(statusRef(raw), raw.status, next));
  const withCondition = (status: TaskStatus | undefined, update: ConditionUpdate): TaskStatus => {
    const conditions = setCondition(status?.conditions, update, now());
    return conditions === status?.conditions ? (status ?? {}) : { ...status, conditions };
  };
  const deletePod = (pod: V1Pod) =>
    deps.core.deleteNamespacedPod({ name: pod.metadata!.name!, namespace: pod.metadata!.namespace!, propagationPolicy: "Background" }).catch(ignoreNotFound);
  const stopWaiting = (key: string, jobKey: string) => {
    const set = waiting.get(jobKey);
    if (set?.delete(key) && set.size === 0) waiting.delete(jobKey);
  };

  async function tailOf(pod: V1Pod): Promise<string | undefined> {
    try {
      const text = await deps.core.readNamespacedPodLog({ name: pod.metadata!.name!, namespace: pod.metadata!.namespace!, container: taskContainer, limitBytes: tailBytes });
      return typeof text === "string" && text.length > 0 ? text.slice(-tailBytes) : undefined;
    } catch {
      return undefined; // the termination message stands in
    }
  }

  async function startAttempt(raw: TaskObject, task: Task & { apiVersion: string; kind: string }, job: Job | undefined, jobObj: JobObject, retry: number, deadlineSeconds: number | undefined): Promise<boolean> {
    let pod: V1Pod;
    try {
      pod = containerTaskPod({ task, job, poolId: poolIdOf(jobObj), config: deps.config, retry, deadlineSeconds });
    } catch (err) {
      if (!(err instanceof ContainerTaskError)) throw err;
      deps.events.record(raw, "Warning", "InvalidSpec", err.message);
      await write(raw, withCondition(raw.status, { type: "Schedulable", status: "False", reason: "InvalidSpec", message: err.message, observedGeneration: raw.metadata?.generation ?? 0 }));
      return false;
    }
    const ns = raw.metadata!.namespace!;
    // The upload step runs as the node agents' identity.
    if ((task.spec.outputFiles ?? []).length > 0) await deps.ensureNodeRbac(ns);
    await deps.writer.apply(pod);
    deps.log(`container task ${ns}/${raw.metadata!.name}: pod ${pod.metadata!.name} created (attempt ${retry})`);
    return true;
  }

  async function reconcile(key: string): Promise<Outcome> {
    const [namespace, name] = key.split("/") as [string, string];
    const raw = deps.tasks.get(name, namespace);
    const entry = deps.state.tasks.get(key);
    if (!raw || !raw.spec?.containerSettings || raw.metadata?.deletionTimestamp || !entry) {
      if (entry) stopWaiting(key, entry.jobKey);
      return; // a deleted task's Pods go with it (owner reference)
    }
    if (entry.invalid) return; // reported by the task informer's validation
    const parsed = parseTask(raw);
    if (!parsed.ok) return;
    const task = parsed.value as Task & { apiVersion: string; kind: string };
    const uid = raw.metadata?.uid;
    const owned = [...(podsByTask.get(uid ?? "")?.values() ?? [])].sort((a, b) => retryOf(b) - retryOf(a));
    const status = raw.status;
    const live = owned.filter((p) => !ended(p) && !p.metadata?.deletionTimestamp);

    // Completed by someone else (job terminated or disabled): stop what still runs.
    if (status?.state === "Completed") {
      stopWaiting(key, entry.jobKey);
      for (const p of live) {
        deps.log(`container task ${key} is Completed: deleting its pod ${p.metadata?.name}`);
        await deletePod(p);
      }
      return;
    }
    // Back to Active — reactivated (from Completed) or requeued (from Running, the job was
    // disabled with Requeue): the earlier attempts' Pods go first (their names are reused).
    if ((status?.state ?? "Active") === "Active" && status?.previousState !== undefined && status.previousState !== "Active") {
      const stale = owned.filter((p) => p.metadata?.annotations?.[containerPodActiveSinceAnnotation] !== activeSinceOf(raw));
      if (stale.length > 0) {
        for (const p of stale) if (!p.metadata?.deletionTimestamp) await deletePod(p);
        return { requeueAfterMs: 1_000 };
      }
    }

    // Not started yet (still Active) while the job stopped starting tasks (disabled, terminating,
    // completed): the Pod goes; the task stays Active and gets a new Pod once the job is Active.
    if ((status?.state ?? "Active") === "Active" && live.length > 0 && deps.state.jobs.get(entry.jobKey)?.schedulable === false) {
      for (const p of live) {
        deps.log(`container task ${key}: its job starts no tasks now; deleting its pod ${p.metadata?.name}, which has not started`);
        await deletePod(p);
      }
      return;
    }

    const jobObj = deps.jobs.get(task.spec.jobName, namespace);
    const jobParsed = jobObj ? parseJob(jobObj) : undefined;
    const job = jobParsed?.ok ? jobParsed.value : undefined;
    const c = task.spec.constraints;
    const maxRetries = c.maxTaskRetryCount ?? job?.spec.constraints.maxTaskRetryCount ?? 0;
    const wallMs = c.maxWallClockTime ? parseDuration(c.maxWallClockTime) : undefined;
    const startedMs = status?.executionInfo?.startTime ? Date.parse(status.executionInfo.startTime) : undefined;
    const leftMs = wallMs !== undefined && startedMs !== undefined ? wallMs - (now().getTime() - startedMs) : wallMs;
    const current = owned[0];

    if (!current) {
      if (!jobObj) return { requeueAfterMs: jobWaitMs };
      if (!deps.state.jobs.get(entry.jobKey)?.schedulable) return { requeueAfterMs: jobWaitMs };
      // The same rules as for tasks on nodes: usesTaskDependencies, missing, failed (Block), cycles.
      const blocked = deps.state.blockReason(entry);
      if (blocked) {
        let set = waiting.get(entry.jobKey);
        if (!set) waiting.set(entry.jobKey, (set = new Set()));
        set.add(key);
        await write(raw, withCondition(status, { type: "Schedulable", status: "False", reason: blocked.reason, message: blocked.message.slice(0, 1024), observedGeneration: raw.metadata?.generation ?? 0 }));
        return;
      }
      stopWaiting(key, entry.jobKey);
      if (leftMs !== undefined && leftMs <= 0) return void (await complete(raw, undefined, status?.executionInfo?.retryCount ?? 0, wallClockExpired()));
      const retry = status?.executionInfo?.retryCount ?? 0;
      if (await startAttempt(raw, task, job, jobObj, retry, leftMs !== undefined ? leftMs / 1000 : undefined)) {
        const schedulable = status?.conditions?.find((x) => x.type === "Schedulable");
        if (schedulable && schedulable.status !== "True") {
          await write(raw, withCondition(status, { type: "Schedulable", status: "True", reason: "PodCreated", message: "the task runs as its own Pod", observedGeneration: raw.metadata?.generation ?? 0 }));
        }
      }
      return;
    }

    const retry = retryOf(current);
    let outcome = podOutcome(current, task.spec.containerSettings!.imageName);
    if (outcome.kind === "Ended" && outcome.retryable && (maxRetries < 0 || retry < maxRetries) && !(leftMs !== undefined && leftMs <= 0)) {
      if (!jobObj || !deps.state.jobs.get(entry.jobKey)?.schedulable) return { requeueAfterMs: jobWaitMs };
      deps.log(`container task ${key}: attempt ${retry} ended with exit code ${outcome.exitCode ?? "none"}; retry ${retry + 1}${maxRetries < 0 ? "" : ` of ${maxRetries}`}`);
      await startAttempt(raw, task, job, jobObj, retry + 1, leftMs !== undefined ? leftMs / 1000 : undefined);
      return;
    }
    if (outcome.kind !== "Ended" && startedMs !== undefined && leftMs !== undefined && leftMs <= 0) outcome = { ...wallClockExpired(), startTime: undefined };
    if (outcome.kind === "Ended") {
      const tail = outcome.exitCode !== undefined ? await tailOf(current) : undefined;
      await complete(raw, current, retry, outcome, tail);
      for (const p of live) await deletePod(p); // a Pod stuck on its image, or past its wall clock
      return;
    }
    await write(raw, taskStatus(status, { outcome, retry, attemptTime: current.metadata?.creationTimestamp ? new Date(current.metadata.creationTimestamp).toISOString() : undefined, podName: current.metadata!.name!, poolId: poolIdOf(jobObj ?? {}), now: now() }));
    if (outcome.kind === "Running" && leftMs !== undefined) return { requeueAfterMs: Math.max(100, leftMs) };
    return;

    async function complete(raw: TaskObject, pod: V1Pod | undefined, retry: number, outcome: PodOutcome & { kind: "Ended" }, tail?: string): Promise<void> {
      const next = taskStatus(raw.status, {
        outcome,
        retry,
        attemptTime: pod?.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp).toISOString() : undefined,
        podName: pod?.metadata?.name ?? "",
        poolId: poolIdOf(jobObj ?? {}),
        tail,
        now: now(),
      });
      if (await write(raw, next)) {
        const info = next.executionInfo;
        deps.log(`container task ${key}: Completed, exit code ${info?.exitCode ?? "none"}, ${info?.result}${info?.failureInfo ? ` (${info.failureInfo.code})` : ""}`);
        if (info?.failureInfo && info.failureInfo.code !== "FailureExitCode") deps.events.record(raw, "Warning", info.failureInfo.code, info.failureInfo.message ?? info.failureInfo.code);
      }
    }
  }

  return {
    reconcile,
    onJob(jobKey) {
      // Only tasks with Pods care about their job's state (the rest wait for the job anyway).
      const [namespace, job] = jobKey.split("/");
      for (const pods of podsByTask.values()) {
        const pod = pods.values().next().value;
        if (!pod || pod.metadata?.namespace !== namespace || pod.metadata?.labels?.[containerPodJobLabel] !== job) continue;
        const owner = pod.metadata?.ownerReferences?.find((r) => r.controller && r.kind === taskNames.kind);
        if (owner) deps.enqueue(`${namespace}/${owner.name}`);
      }
    },
    onTask(kind, entry, before) {
      if (entry.runsInPod) deps.enqueue(entry.key);
      const waiters = waiting.get(entry.jobKey);
      if (!waiters || waiters.has(entry.key)) return;
      if (kind !== "update" || before?.completed !== entry.completed || before?.result !== entry.result) for (const k of waiters) deps.enqueue(k);
    },
    onPod(kind, pod) {
      const owner = pod.metadata?.ownerReferences?.find((r) => r.controller && r.kind === taskNames.kind);
      if (!owner) return;
      let mine = podsByTask.get(owner.uid);
      if (kind === "delete") {
        mine?.delete(pod.metadata?.name ?? "");
        if (mine?.size === 0) podsByTask.delete(owner.uid);
      } else {
        if (!mine) podsByTask.set(owner.uid, (mine = new Map()));
        mine.set(pod.metadata?.name ?? "", pod);
      }
      deps.enqueue(`${pod.metadata?.namespace}/${owner.name}`);
    },
  };
}

function wallClockExpired(): PodOutcome & { kind: "Ended" } {
  return { kind: "Ended", failureInfo: { category: "UserError", code: "MaxWallClockTimeExpiry", message: "the task ran longer than constraints.maxWallClockTime" }, retryable: false };
}
