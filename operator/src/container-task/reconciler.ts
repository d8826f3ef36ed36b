// Container tasks (spec.containerSettings): each attempt runs as its own Pod, owned by the
// Task. Shaped like the other reconcilers: read from the caches, decide in a pure plan
// (attempt-plan.ts: the Pod to apply, the Pods to delete, the status the Pod says, a failed
// attempt's record and its back-off), carry it out — server-side apply, status written only when
// it changed. The scheduler never dispatches these tasks; dependencies and the job's state are
// checked here against the same DispatchState.
import { failureExitCode } from "../../../api/failure-codes.ts";
import type { CoreV1Api, V1Pod } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../../api/group.ts";
import { parseJob } from "../../../api/job.ts";
import { parseTask, taskNames, type Task, type TaskStatus } from "../../../api/task.ts";
import { poolIdOf } from "../../../api/pool-id.ts";
import type { OperatorConfig } from "../config/operator-config.ts";
import type { Outcome } from "../controller/work-queue.ts";
import type { DispatchState, TaskEntry } from "../dispatch/dispatch-state.ts";
import { removalsAsNull, type Writer } from "../../../kube/apply.ts";
import { ignoreNotFound } from "../../../kube/errors.ts";
import type { EventRecorder } from "../../../kube/events.ts";
import type { Cache } from "../pool/reconciler.ts";
import { planContainerTask } from "./attempt-plan.ts";
import { taskContainer } from "./container-pod.ts";
import { taskStatus, withTail } from "./task-status.ts";
import type { TaskObject, JobObject } from "../../../kube/objects.ts";
import { containerPodJobLabel } from "../../../api/labels.ts";

export type ContainerTaskDeps = {
  tasks: Cache<TaskObject>;
  jobs: Cache<JobObject>;
  state: DispatchState;
  writer: Writer;
  core: Pick<CoreV1Api, "deleteNamespacedPod" | "readNamespacedPodLog">;
  events: EventRecorder;
  config: OperatorConfig;
  enqueue: (key: string) => void;
  /** Applies the upload container's ServiceAccount, Role and RoleBinding in a namespace (once per process). */
  ensureUploadRbac: (namespace: string) => Promise<void>;
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
  // What `next` drops (an earlier attempt's failure once a later one ends) goes as null: a merge patch keeps what it does not mention.
  const write = async (raw: TaskObject, next: TaskStatus) =>
    next !== raw.status && (raw.status !== undefined || Object.keys(next).length > 0) && (await deps.writer.patchStatus(statusRef(raw), raw.status, removalsAsNull(raw.status, next)));
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
    const jobObj = deps.jobs.get(task.spec.jobName, namespace);
    const jobParsed = jobObj ? parseJob(jobObj) : undefined;
    const plan = planContainerTask({
      raw,
      task,
      pods: [...(podsByTask.get(raw.metadata?.uid ?? "")?.values() ?? [])],
      jobObj,
      job: jobParsed?.ok ? jobParsed.value : undefined,
      schedulable: deps.state.jobs.get(entry.jobKey)?.schedulable,
      blockReason: () => deps.state.blockReason(entry),
      config: deps.config,
      now: now(),
    });
    if (plan.waiting === "add") {
      let set = waiting.get(entry.jobKey);
      if (!set) waiting.set(entry.jobKey, (set = new Set()));
      set.add(key);
    } else if (plan.waiting === "remove") stopWaiting(key, entry.jobKey);

    switch (plan.action) {
      case "none":
        break;
      case "deletePods":
        for (const p of plan.pods) {
          if (plan.why === "completed") deps.log(`container task ${key} is Completed: deleting its pod ${p.metadata?.name}`);
          if (plan.why === "jobStopped") deps.log(`container task ${key}: its job starts no tasks now; deleting its pod ${p.metadata?.name}, which has not started`);
          await deletePod(p);
        }
        break;
      case "status":
        await write(raw, plan.status);
        break;
      case "record": {
        // Before the back-off: the failed attempt's Pod goes only once a later attempt's exists.
        const { pod, retry, outcome, max } = plan;
        const tail = plan.readTail ? await tailOf(pod) : undefined;
        if (await write(raw, withTail(plan.status, tail))) {
          const wait = plan.waitMs > 0 ? ` in ${Math.ceil(plan.waitMs / 1000)} s` : "";
          deps.log(`container task ${key}: attempt ${retry} ended with exit code ${outcome.exitCode ?? "none"}${outcome.failureInfo ? ` (${outcome.failureInfo.code})` : ""}; retry ${retry + 1}${max < 0 ? "" : ` of ${max}`}${wait}`);
        }
        break;
      }
      case "invalid":
        deps.events.record(raw, "Warning", "InvalidSpec", plan.message);
        await write(raw, plan.status);
        break;
      case "start": {
        if (plan.retrying) {
          const { max } = plan.retrying;
          deps.log(`container task ${key}: back-off over; retry ${plan.retry}${max < 0 ? "" : ` of ${max}`}`);
        }
        // The upload step has an identity of its own (its Pod and its task container's log).
        if ((task.spec.outputFiles ?? []).length > 0) await deps.ensureUploadRbac(namespace);
        await deps.writer.apply(plan.pod);
        deps.log(`container task ${key}: pod ${plan.pod.metadata!.name} created (attempt ${plan.retry})`);
        if (plan.then) await write(raw, plan.then);
        break;
      }
      case "complete": {
        const { pod, retry, outcome } = plan;
        const tail = plan.readTail && pod ? await tailOf(pod) : undefined;
        const next = taskStatus(plan.base ?? raw.status, {
          outcome,
          retry,
          attemptTime: pod?.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp).toISOString() : undefined,
          podName: pod?.metadata?.name ?? "",
          poolId: poolIdOf(jobObj ?? {}),
          tail,
          now: now(),
          generation: raw.metadata?.generation,
        });
        if (await write(raw, next)) {
          const info = next.executionInfo;
          deps.log(`container task ${key}: Completed, exit code ${info?.exitCode ?? "none"}, ${info?.result}${info?.failureInfo ? ` (${info.failureInfo.code})` : ""}`);
          if (info?.failureInfo && info.failureInfo.code !== failureExitCode) deps.events.record(raw, "Warning", info.failureInfo.code, info.failureInfo.message ?? info.failureInfo.code);
        }
        for (const p of plan.deletePods) await deletePod(p);
        break;
      }
    }
    for (const p of plan.older ?? []) await deletePod(p);
    return plan.requeueAfterMs === undefined ? undefined : { requeueAfterMs: plan.requeueAfterMs };
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

