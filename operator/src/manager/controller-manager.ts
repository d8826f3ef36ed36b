// Wires informers, work queues and reconcilers together. Informer handlers only update the
// scheduler's state and enqueue keys; the work happens in the queues' workers.
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1Deployment,
  type V1Pod,
} from "@kubernetes/client-node";
import { parseDuration } from "../../../api/duration.ts";
import { GROUP, VERSION } from "../../../api/group.ts";
import { jobNames } from "../../../api/job.ts";
import { formatProblems } from "../../../api/parse.ts";
import { poolNames } from "../../../api/pool.ts";
import { parseTask, taskNames } from "../../../api/task.ts";
import { workItemNames } from "../../../api/work-item.ts";
import type { OperatorConfig } from "../config/operator-config.ts";
import { WorkQueue, type Outcome } from "../controller/work-queue.ts";
import { instrumented, makeMetrics, type Metrics } from "../metrics/metrics.ts";
import { Autoscaler } from "../autoscaler/autoscaler.ts";
import { DispatchState } from "../dispatch/dispatch-state.ts";
import { makeDispatcher } from "../dispatch/dispatcher.ts";
import { taskEntry } from "../dispatch/task-entry.ts";
import { makeTaskWrites } from "../dispatch/task-writes.ts";
import { autoPoolKeyOfJob, autoPoolKeyOfWorkItem } from "../auto-pool/auto-pool.ts";
import { autoPoolOwnerLabel, containerPodTaskLabel, poolLabel, workItemLabel } from "../../../api/labels.ts";
import { poolIdOf } from "../../../api/pool-id.ts";
import { makeAutoPoolReconciler } from "../auto-pool/reconciler.ts";
import { makeJobReconciler } from "../job/reconciler.ts";
import { makeContainerTasks } from "../container-task/reconciler.ts";
import { makeWriter } from "../../../kube/apply.ts";
import { errorMessage, ignoreNotFound, isNamespaceTerminating } from "../../../kube/errors.ts";
import { makeEventRecorder } from "../../../kube/events.ts";
import { Informer } from "../../../kube/informer.ts";
import { nodeRbac } from "../pool/node-rbac.ts";
import { isUsable, nodeInfo } from "../pool/node-state.ts";
import { makePoolReconciler } from "../pool/reconciler.ts";
import { makeWorkItemReconciler } from "../work-item/reconciler.ts";
import type { TaskObject, JobObject, PoolObject, WorkItemObject } from "../../../kube/objects.ts";

export type ControllerManager = {
  /** Syncs the caches, then runs every controller until stop(), or until `signal` aborts: then they all stop at once. */
  start(signal?: AbortSignal): Promise<void>;
  stop(): Promise<void>;
  ready(): boolean;
  state: DispatchState;
};

const resyncMs = 10 * 60_000;
/** Job status and pool node counts follow task changes at most this often. */
const jobStatusDelayMs = 200;
const poolStatusDelayMs = 1_000;

export function makeControllerManager(kc: KubeConfig, config: OperatorConfig, log: (line: string) => void, metrics: Metrics = makeMetrics()): ControllerManager {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const writer = makeWriter(kc);
  const events = makeEventRecorder(kc, log);
  const state = new DispatchState();
  const onError = (what: string) => (key: string, err: unknown, retry: number) => log(`${what} ${key}: ${errorMessage(err)} (retry in ${retry} ms)`);
  // A namespace being deleted takes its objects with it: nothing there needs retrying.
  const settled = <K extends string>(handler: (key: K, signal: AbortSignal) => Promise<Outcome>) => async (key: K, signal: AbortSignal): Promise<Outcome> => {
    if (signal.aborted) return;
    try {
      return await handler(key, signal);
    } catch (err) {
      if (isNamespaceTerminating(err)) return;
      // A write made from a stale cache: look again once the informer has caught up.
      if ((err as { code?: number }).code === 409) return { requeueAfterMs: 100 };
      throw err;
    }
  };
  const poolQueue = new WorkQueue({ onError: onError("pool") });
  const dispatchQueue = new WorkQueue({ onError: onError("dispatch") });
  const jobQueue = new WorkQueue({ onError: onError("job") });
  const workItemQueue = new WorkQueue({ onError: onError("work item") });
  const keyOf = (obj: KubernetesObject) => `${obj.metadata?.namespace}/${obj.metadata?.name}`;
  const list = (plural: string) => async () => (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as KubernetesListObject<never>;

  const pools = new Informer<PoolObject>({
    kubeConfig: kc,
    path: `/apis/${GROUP}/${VERSION}/${poolNames.plural}`,
    list: list(poolNames.plural),
    onEvent: (kind, obj) => {
      const key = keyOf(obj);
      const spec = (obj.spec ?? {}) as { taskSlotsPerNode?: number; taskSchedulingPolicy?: { nodeFillType?: "Spread" | "Pack" } };
      if (kind === "delete") state.deletePool(key);
      else state.upsertPool({ key, slotsPerNode: spec.taskSlotsPerNode ?? 1, fill: spec.taskSchedulingPolicy?.nodeFillType ?? "Spread" });
      poolQueue.add(key);
      dispatchQueue.add(key);
      for (const job of state.jobs.values()) if (job.poolKey === key) jobQueue.add(job.key);
    },
    log,
  });
  const deployments = new Informer<V1Deployment>({
    kubeConfig: kc,
    path: "/apis/apps/v1/deployments",
    labelSelector: poolLabel,
    list: () => apps.listDeploymentForAllNamespaces({ labelSelector: poolLabel }),
    onEvent: (_kind, obj) => {
      const pool = obj.metadata?.labels?.[poolLabel];
      if (pool) poolQueue.add(`${obj.metadata?.namespace}/${pool}`);
    },
    log,
  });
  const pods = new Informer<V1Pod>({
    kubeConfig: kc,
    path: "/api/v1/pods",
    labelSelector: poolLabel,
    list: () => core.listPodForAllNamespaces({ labelSelector: poolLabel }),
    onEvent: (kind, pod) => {
      const pool = pod.metadata?.labels?.[poolLabel];
      if (!pool) return;
      const poolKey = `${pod.metadata?.namespace}/${pool}`;
      const key = keyOf(pod);
      if (kind === "delete") state.deleteNode(key);
      else state.upsertNode({ key, name: pod.metadata?.name ?? "", poolKey, usable: isUsable(nodeInfo(pod).state) });
      poolQueue.add(poolKey);
      dispatchQueue.add(poolKey);
    },
    log,
  });
  const jobs = new Informer<JobObject>({
    kubeConfig: kc,
    path: `/apis/${GROUP}/${VERSION}/${jobNames.plural}`,
    list: list(jobNames.plural),
    onEvent: (kind, obj) => {
      const key = keyOf(obj);
      const spec = (obj.spec ?? {}) as { priority?: number; maxParallelTasks?: number; disabled?: boolean; terminate?: boolean; usesTaskDependencies?: boolean };
      const poolKey = `${obj.metadata?.namespace}/${poolIdOf(obj)}`;
      const wasSchedulable = state.jobs.get(key)?.schedulable;
      if (kind === "delete") state.deleteJob(key);
      else {
        const created = obj.metadata?.creationTimestamp;
        state.upsertJob({
          key,
          poolKey,
          priority: spec.priority ?? 0,
          maxParallelTasks: spec.maxParallelTasks ?? -1,
          created: created instanceof Date ? created.toISOString() : String(created ?? ""),
          // A disabled job starts no tasks, nor one that is ending (terminate, or whatever else
          // ended it: its status says Terminating or Completed). Enabling starts them at once.
          schedulable: !spec.disabled && !spec.terminate && obj.status?.state !== "Terminating" && obj.status?.state !== "Completed",
          usesTaskDependencies: spec.usesTaskDependencies ?? false,
        });
        jobQueue.add(key);
        // The job reconciler may have marked it unschedulable already: look while it is not Active.
        const schedulable = state.jobs.get(key)?.schedulable;
        if (!schedulable || schedulable !== wasSchedulable) containerTasks.onJob(key);
      }
      const owner = obj.metadata?.labels?.[workItemLabel];
      if (owner) workItemQueue.add(`${obj.metadata?.namespace}/${owner}`);
      dispatchQueue.add(poolKey);
    },
    log,
  });

  const workItems = new Informer<WorkItemObject>({
    kubeConfig: kc,
    path: `/apis/${GROUP}/${VERSION}/${workItemNames.plural}`,
    list: list(workItemNames.plural),
    onEvent: (_kind, obj) => workItemQueue.add(keyOf(obj)),
    log,
  });

  // The full schema check runs once per task generation; tasks the API server could not refuse
  // but the operator cannot run get a condition and an event, and are never scheduled.
  const validated = new Map<string, { generation: number; problems?: string }>();
  const validate = (obj: TaskObject): string | undefined => {
    const uid = obj.metadata?.uid ?? "";
    const generation = obj.metadata?.generation ?? 0;
    const seen = validated.get(uid);
    if (seen?.generation === generation) return seen.problems;
    const parsed = parseTask(obj);
    const problems = parsed.ok ? undefined : formatProblems(parsed.problems);
    validated.set(uid, { generation, problems });
    if (problems) {
      events.record(obj, "Warning", "InvalidSpec", problems);
      const ref = { group: GROUP, version: VERSION, plural: taskNames.plural, namespace: obj.metadata!.namespace!, name: obj.metadata!.name! };
      const conditions = [{ type: "Schedulable", status: "False", reason: "InvalidSpec", message: problems, observedGeneration: generation, lastTransitionTime: new Date().toISOString() }];
      writer.patchStatus(ref, obj.status?.conditions, { conditions }).catch((err: unknown) => log(`task ${ref.namespace}/${ref.name}: ${errorMessage(err)}`));
    }
    return problems;
  };
  const tasks = new Informer<TaskObject>({
    kubeConfig: kc,
    path: `/apis/${GROUP}/${VERSION}/${taskNames.plural}`,
    list: list(taskNames.plural),
    onEvent: (kind, obj) => {
      const entry = taskEntry(obj);
      const before = state.tasks.get(entry.key);
      if (kind === "delete") {
        state.deleteTask(entry.key);
        validated.delete(obj.metadata?.uid ?? "");
      } else {
        entry.invalid = validate(obj) !== undefined;
        state.upsertTask(entry);
        // Only transitions seen live count; the initial list replays history.
        if (before && before.state !== entry.state) {
          if (entry.completed) {
            metrics.tasksCompleted.inc({ result: entry.result ?? "Failure" });
            const poolKey = state.jobs.get(entry.jobKey)?.poolKey;
            if (poolKey) {
              const c = completions.get(poolKey) ?? { succeeded: 0, failed: 0 };
              if (entry.result === "Success") c.succeeded++;
              else c.failed++;
              completions.set(poolKey, c);
            }
          }
          const started = obj.status?.executionInfo?.startTime;
          const created = obj.metadata?.creationTimestamp;
          if (before.state === "Active" && started && created) metrics.taskStartLatency.observe(Math.max(0, (Date.parse(started) - new Date(created).getTime()) / 1000));
        }
      }
      jobQueue.addAfter(entry.jobKey, jobStatusDelayMs);
      containerTasks.onTask(kind, entry, before);
      const poolKey = state.jobs.get(entry.jobKey)?.poolKey;
      if (!poolKey) return;
      if (!entry.node || entry.completed || kind === "delete") dispatchQueue.add(poolKey);
      if (before?.node !== entry.node || before?.completed !== entry.completed) poolQueue.addAfter(poolKey, poolStatusDelayMs);
    },
    log,
  });

  const completions = new Map<string, { succeeded: number; failed: number }>();
  const autoscaler = new Autoscaler({
    pools,
    state,
    writer,
    events,
    metrics,
    log,
    samplePeriodMs: parseDuration(config.autoscale.samplePeriod),
    takeCompletions: (poolKey) => {
      const c = completions.get(poolKey) ?? { succeeded: 0, failed: 0 };
      completions.delete(poolKey);
      return c;
    },
  });
  // The node agents' identity, applied once per namespace per process (pool nodes and
  // container tasks' upload step use it).
  const rbacDone = new Set<string>();
  const ensureNodeRbac = async (namespace: string): Promise<void> => {
    if (rbacDone.has(namespace)) return;
    for (const obj of nodeRbac(namespace)) await writer.apply(obj);
    rbacDone.add(namespace);
  };
  const reconcilePool = makePoolReconciler({
    pools,
    deployments,
    pods,
    writer,
    apps,
    core,
    events,
    config,
    workOf: (namespace, pod) => {
      const on = state.tasksOnNode(`${namespace}/${pod}`);
      return { runningTasks: on.length, runningTaskSlots: on.reduce((n, t) => n + t.requiredSlots, 0) };
    },
    onStatus: (pool, status) => {
      for (const [stateName, count] of Object.entries(status.nodeCounts ?? {})) {
        if (stateName !== "total") metrics.poolNodes.set({ namespace: pool.metadata.namespace ?? "", pool: pool.metadata.name, state: stateName }, count ?? 0);
      }
    },
    ensureNodeRbac,
  });
  const dispatch = makeDispatcher({
    state,
    custom,
    log,
    onAssigned: () => metrics.tasksDispatched.inc(),
    onRequeued: () => metrics.tasksRequeued.inc(),
    deallocation: (poolKey) => {
      const [namespace, name] = poolKey.split("/");
      return (pools.get(name ?? "", namespace)?.spec as { nodeDeallocationOption?: string } | undefined)?.nodeDeallocationOption;
    },
  });
  const reconcileJob = makeJobReconciler({ jobs, pools, state, writer, writes: makeTaskWrites(custom), custom, events, log });
  const reconcileWorkItem = makeWorkItemReconciler({ workItems, jobs, writer, events });

  // Auto pools (autoPoolSpecification): a job's or work item's own Pool, kept while its lifetime
  // lasts and deleted after. Its own queue, keyed by the pool, fed by jobs, work items and auto pools.
  const autoPoolQueue = new WorkQueue({ onError: onError("auto pool") });
  const enqueueAutoPool = (key: string | undefined) => void (key && autoPoolQueue.add(key));
  jobs.addHandler((_kind, obj) => enqueueAutoPool(autoPoolKeyOfJob(obj)));
  workItems.addHandler((_kind, obj) => enqueueAutoPool(autoPoolKeyOfWorkItem(obj)));
  pools.addHandler((_kind, obj) => enqueueAutoPool(obj.metadata?.labels?.[autoPoolOwnerLabel] ? keyOf(obj) : undefined));
  const reconcileAutoPool = makeAutoPoolReconciler({
    jobs,
    workItems,
    pools,
    writer,
    events,
    state,
    listEvents: async (namespace, uid) => (await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.uid=${uid}` })).items,
    deletePool: async (namespace, name) => {
      await custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: poolNames.plural, namespace, name, propagationPolicy: "Background" }).catch(ignoreNotFound);
    },
  });

  // Container tasks (spec.containerSettings): one Pod per attempt, owned by the Task, labelled
  // kubatch.dev/task; their own queue keyed by the task, fed by the Task and Pod informers.
  const containerTaskQueue = new WorkQueue({ onError: onError("container task") });
  const taskPods = new Informer<V1Pod>({
    kubeConfig: kc,
    path: "/api/v1/pods",
    labelSelector: containerPodTaskLabel,
    list: () => core.listPodForAllNamespaces({ labelSelector: containerPodTaskLabel }),
    onEvent: (kind, pod) => containerTasks.onPod(kind, pod),
    log,
  });
  const containerTasks = makeContainerTasks({ tasks, jobs, state, writer, core, events, config, log, ensureNodeRbac, enqueue: (key) => containerTaskQueue.add(key) });

  const informers = [pools, deployments, pods, jobs, tasks, workItems, taskPods];
  let resync: NodeJS.Timeout | undefined;
  let gauges: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  return {
    state,
    async start(signal = new AbortController().signal) {
      await Promise.all(informers.map((i) => i.start()));
      // The lease may have been lost while the caches synced: then nothing may be written.
      if (signal.aborted) return;
      log(`caches synced: ${pools.list().length} pools, ${pods.list().length} node pods, ${jobs.list().length} jobs, ${tasks.list().length} tasks`);
      running = Promise.all([
        poolQueue.run(instrumented(metrics, "pool", settled(reconcilePool)), 2, signal),
        dispatchQueue.run(instrumented(metrics, "dispatch", settled(dispatch)), 4, signal),
        jobQueue.run(instrumented(metrics, "job", settled(reconcileJob)), 2, signal),
        workItemQueue.run(instrumented(metrics, "workitem", settled(reconcileWorkItem)), 1, signal),
        autoPoolQueue.run(instrumented(metrics, "autopool", settled(reconcileAutoPool)), 1, signal),
        containerTaskQueue.run(instrumented(metrics, "containertask", settled(containerTasks.reconcile)), 4, signal),
      ]);
      signal.addEventListener("abort", () => autoscaler.stop(), { once: true });
      gauges = setInterval(() => {
        for (const [name, q] of Object.entries({ pool: poolQueue, dispatch: dispatchQueue, job: jobQueue, workitem: workItemQueue })) metrics.queueDepth.set({ queue: name }, q.depth);
        for (const pool of state.pools.values()) {
          const [namespace, name] = pool.key.split("/");
          metrics.poolPendingTasks.set({ namespace: namespace ?? "", pool: name ?? "" }, state.pendingCount(pool.key));
        }
      }, 2_000);
      gauges.unref();
      autoscaler.start();
      resync = setInterval(() => {
        pools.list().forEach((p) => (poolQueue.add(keyOf(p)), dispatchQueue.add(keyOf(p))));
        jobs.list().forEach((j) => jobQueue.add(keyOf(j)));
        workItems.list().forEach((w) => workItemQueue.add(keyOf(w)));
      }, resyncMs);
      resync.unref();
    },
    async stop() {
      clearInterval(resync);
      clearInterval(gauges);
      autoscaler.stop();
      for (const q of [poolQueue, dispatchQueue, jobQueue, workItemQueue, autoPoolQueue, containerTaskQueue]) q.shutdown();
      await running;
      await Promise.all(informers.map((i) => i.stop()));
    },
    ready: () => informers.every((i) => i.synced),
  };
}
