// The controller manager: one shared informer per kind, a work queue per controller, the
// metrics. Each controller (its folder's controller.ts) declares its reconcile and its watches
// — which events enqueue which keys; informer events first update the scheduler's index
// (dispatch/informer-index.ts), then go to every controller's watches, which only enqueue.
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  NetworkingV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type V1Deployment,
  type V1NetworkPolicy,
  type V1Pod,
} from "@kubernetes/client-node";
import { parseDuration } from "../../../api/duration.ts";
import { GROUP, VERSION } from "../../../api/group.ts";
import { jobNames } from "../../../api/job.ts";
import { containerPodTaskLabel, poolLabel } from "../../../api/labels.ts";
import { poolNames } from "../../../api/pool.ts";
import { taskNames } from "../../../api/task.ts";
import { collectionChunkNames } from "../../../api/collection-chunk.ts";
import { taskCollectionNames } from "../../../api/task-collection.ts";
import { workItemNames } from "../../../api/work-item.ts";
import { makeWriter } from "../../../kube/apply.ts";
import { errorMessage, ignoreNotFound, isNamespaceTerminating } from "../../../kube/errors.ts";
import { makeEventRecorder } from "../../../kube/events.ts";
import { Informer, type EventKind } from "../../../kube/informer.ts";
import type { CollectionChunkObject, JobObject, PoolObject, TaskCollectionObject, TaskObject, WorkItemObject } from "../../../kube/objects.ts";
import { autoPoolController } from "../auto-pool/controller.ts";
import { Autoscaler } from "../autoscaler/autoscaler.ts";
import type { OperatorConfig } from "../config/operator-config.ts";
import { makeBlobLister, nodeIdentitySecretReader } from "../collection/blob-source.ts";
import { chunkProjection } from "../collection/chunk-objects.ts";
import { collectionController } from "../collection/controller.ts";
import { containerTaskController } from "../container-task/controller.ts";
import { keyOf, type ChunkChange, type Controller, type Queue, type TaskChange, type Watched, type Watches } from "../controller/watches.ts";
import { WorkQueue, type Handler, type Outcome } from "../controller/work-queue.ts";
import { dispatchController } from "../dispatch/controller.ts";
import { DispatchState } from "../dispatch/dispatch-state.ts";
import { itemsCompleted } from "../dispatch/chunk-entry.ts";
import { indexChunk, indexCollection, indexJob, indexNodePod, indexPool, indexTask } from "../dispatch/informer-index.ts";
import { makeTaskValidation } from "../dispatch/task-validation.ts";
import { makeTaskWrites } from "../dispatch/task-writes.ts";
import { jobController } from "../job/controller.ts";
import { instrumented, makeMetrics, type Metrics } from "../metrics/metrics.ts";
import { JobStates } from "../metrics/job-states.ts";
import { poolController } from "../pool/controller.ts";
import { nodeIdentityController } from "../node-identity/controller.ts";
import { jobTokenController } from "../job-token/controller.ts";
import { makeJobTokens } from "../job-token/reconciler.ts";
import { makeNodeIdentities } from "../node-identity/reconciler.ts";
import { workItemController } from "../work-item/controller.ts";

export type ControllerManager = {
  /** Syncs the caches, then runs every controller until stop(), or until `signal` aborts: then they all stop at once. */
  start(signal?: AbortSignal): Promise<void>;
  stop(): Promise<void>;
  ready(): boolean;
  state: DispatchState;
};

const resyncMs = 10 * 60_000;

export function makeControllerManager(kc: KubeConfig, config: OperatorConfig, log: (line: string) => void, metrics: Metrics = makeMetrics()): ControllerManager {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const networking = kc.makeApiClient(NetworkingV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const writer = makeWriter(kc);
  const events = makeEventRecorder(kc, log);
  const state = new DispatchState();
  const list = (plural: string) => async () => (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as KubernetesListObject<never>;

  // Every controller's mappings, per shared informer, in the order the controllers were added.
  const watchers: { [K in keyof Watched]: ((kind: EventKind, event: Watched[K]) => void)[] } = { pools: [], deployments: [], networkPolicies: [], nodePods: [], jobs: [], workItems: [], tasks: [], collections: [], chunks: [], taskPods: [] };
  const notify = <K extends keyof Watched>(name: K, kind: EventKind, event: Watched[K]) => {
    for (const watch of watchers[name]) watch(kind, event);
  };

  const validation = makeTaskValidation({ events, writer, log });
  const onPool = (kind: EventKind, obj: PoolObject) => (indexPool(state, kind, obj), notify("pools", kind, obj));
  const jobStates = new JobStates();
  const onJob = (kind: EventKind, obj: JobObject) => {
    const namespace = obj.metadata?.namespace ?? "";
    for (const c of jobStates.set(`${namespace}/${obj.metadata?.name}`, namespace, kind === "delete" ? undefined : (obj.status?.state ?? "Active"))) metrics.jobs.set({ namespace: c.namespace, state: c.state }, c.count);
    notify("jobs", kind, indexJob(state, kind, obj));
  };
  const onWorkItem = (kind: EventKind, obj: WorkItemObject) => notify("workItems", kind, obj);
  const pools = new Informer<PoolObject>({ kubeConfig: kc, path: `/apis/${GROUP}/${VERSION}/${poolNames.plural}`, list: list(poolNames.plural), onEvent: onPool, log });
  const deployments = new Informer<V1Deployment>({
    kubeConfig: kc,
    path: "/apis/apps/v1/deployments",
    labelSelector: poolLabel,
    list: () => apps.listDeploymentForAllNamespaces({ labelSelector: poolLabel }),
    onEvent: (kind, obj) => notify("deployments", kind, obj),
    log,
  });
  const networkPolicies = new Informer<V1NetworkPolicy>({
    kubeConfig: kc,
    path: "/apis/networking.k8s.io/v1/networkpolicies",
    labelSelector: poolLabel,
    list: () => networking.listNetworkPolicyForAllNamespaces({ labelSelector: poolLabel }),
    onEvent: (kind, obj) => notify("networkPolicies", kind, obj),
    log,
  });
  const pods = new Informer<V1Pod>({
    kubeConfig: kc,
    path: "/api/v1/pods",
    labelSelector: poolLabel,
    list: () => core.listPodForAllNamespaces({ labelSelector: poolLabel }),
    onEvent: (kind, pod) => (indexNodePod(state, kind, pod), notify("nodePods", kind, pod)),
    log,
  });
  const jobs = new Informer<JobObject>({ kubeConfig: kc, path: `/apis/${GROUP}/${VERSION}/${jobNames.plural}`, list: list(jobNames.plural), onEvent: onJob, log });
  const workItems = new Informer<WorkItemObject>({ kubeConfig: kc, path: `/apis/${GROUP}/${VERSION}/${workItemNames.plural}`, list: list(workItemNames.plural), onEvent: onWorkItem, log });
  const tasks = new Informer<TaskObject>({
    kubeConfig: kc,
    path: `/apis/${GROUP}/${VERSION}/${taskNames.plural}`,
    list: list(taskNames.plural),
    onEvent: (kind, obj) => {
      const change = indexTask(state, kind, obj, validation);
      observeTask(kind, change);
      notify("tasks", kind, change);
    },
    log,
  });
  const onCollection = (kind: EventKind, obj: TaskCollectionObject) => {
    indexCollection(state, kind, obj);
    notify("collections", kind, obj);
  };
  const collections = new Informer<TaskCollectionObject>({ kubeConfig: kc, path: `/apis/${GROUP}/${VERSION}/${taskCollectionNames.plural}`, list: list(taskCollectionNames.plural), onEvent: onCollection, log });
  // Each collection's chunks by name, for the collection reconciler.
  const chunksByCollection = new Map<string, Map<string, CollectionChunkObject>>();
  const chunks = new Informer<CollectionChunkObject>({
    kubeConfig: kc,
    path: `/apis/${GROUP}/${VERSION}/${collectionChunkNames.plural}`,
    list: list(collectionChunkNames.plural),
    project: chunkProjection,
    onEvent: (kind, obj) => {
      const of = `${obj.metadata?.namespace}/${obj.spec?.collectionName}`;
      let byName = chunksByCollection.get(of);
      if (!byName) chunksByCollection.set(of, (byName = new Map()));
      if (kind === "delete") byName.delete(obj.metadata?.name ?? "");
      else byName.set(obj.metadata?.name ?? "", obj);
      if (byName.size === 0) chunksByCollection.delete(of);
      const change = indexChunk(state, kind, obj);
      observeChunk(kind, change);
      notify("chunks", kind, change);
    },
    log,
  });
  // Container tasks' Pods, by their task label (node pods are the other Pod informer).
  const taskPods = new Informer<V1Pod>({
    kubeConfig: kc,
    path: "/api/v1/pods",
    labelSelector: containerPodTaskLabel,
    list: () => core.listPodForAllNamespaces({ labelSelector: containerPodTaskLabel }),
    onEvent: (kind, pod) => notify("taskPods", kind, pod),
    log,
  });
  const informers = [pools, deployments, networkPolicies, pods, jobs, tasks, collections, chunks, workItems, taskPods];

  // Task metrics, and the completions the autoscaler samples ($SucceededTasks, $FailedTasks): tasks' and collection items'.
  // Only transitions seen live count; the initial list replays history.
  const completions = new Map<string, { succeeded: number; failed: number }>();
  /** A job's pool as metric labels (namespace, pool); the pool empty while the job is not cached. */
  const poolLabels = (jobKey: string) => ({ namespace: jobKey.split("/")[0] ?? "", pool: state.jobs.get(jobKey)?.poolKey.split("/")[1] ?? "" });
  const completed = (jobKey: string, succeeded: number, failed: number) => {
    const labels = poolLabels(jobKey);
    if (succeeded > 0) metrics.tasksCompleted.inc({ ...labels, result: "Success" }, succeeded);
    if (failed > 0) metrics.tasksCompleted.inc({ ...labels, result: "Failure" }, failed);
    const poolKey = state.jobs.get(jobKey)?.poolKey;
    if (!poolKey) return;
    const c = completions.get(poolKey) ?? { succeeded: 0, failed: 0 };
    c.succeeded += succeeded;
    c.failed += failed;
    completions.set(poolKey, c);
  };
  // A collection's items count as tasks, as they do in the job's counts.
  const observeChunk = (kind: EventKind, { entry, before }: ChunkChange) => {
    if (kind === "delete" || !entry.chunk) return;
    const done = itemsCompleted(before?.chunk, entry.chunk);
    completed(entry.jobKey, done.succeeded, done.failed);
  };
  const observeTask = (kind: EventKind, { obj, entry, before }: TaskChange) => {
    if (kind === "delete" || !before || before.state === entry.state) return;
    const labels = poolLabels(entry.jobKey);
    const started = obj.status?.executionInfo?.startTime;
    if (entry.completed) {
      completed(entry.jobKey, entry.result === "Success" ? 1 : 0, entry.result === "Success" ? 0 : 1);
      const ended = obj.status?.executionInfo?.endTime;
      const seconds = started && ended ? (Date.parse(ended) - Date.parse(started)) / 1000 : NaN;
      if (Number.isFinite(seconds)) metrics.taskDuration.observe({ ...labels, result: entry.result ?? "Failure" }, Math.max(0, seconds));
    }
    const created = obj.metadata?.creationTimestamp;
    if (before.state === "Active" && started && created) metrics.taskStartLatency.observe(labels, Math.max(0, (Date.parse(started) - new Date(created).getTime()) / 1000));
  };
  const autoscaler = new Autoscaler({
    pools,
    nodePods: pods,
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

  // A namespace being deleted takes its objects with it: nothing there needs retrying.
  const settled = (handler: Handler): Handler => async (key, signal): Promise<Outcome> => {
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
  // Each controller gets a queue of its own; its watches go to the shared informers.
  const controllers: { controller: Controller; queue: WorkQueue }[] = [];
  const add = (make: (queue: Queue) => Controller) => {
    let name = "";
    const queue = new WorkQueue({ onError: (key, err, retry) => log(`${name} ${key}: ${errorMessage(err)} (retry in ${retry} ms)`) });
    const controller = make(queue);
    name = controller.name;
    controllers.push({ controller, queue });
    const watches: Watches = controller.watches;
    for (const informer of Object.keys(watches) as (keyof Watched)[]) (watchers[informer] as unknown[]).push(watches[informer]);
  };

  // The node agents' identity (pool nodes) and the upload containers' (container tasks with
  // output files), applied once per namespace per process; the node Role's Secret names then
  // follow the namespace's tasks, jobs and collections.
  const identities = makeNodeIdentities({ tasks, jobs, collections, writer, rbac: { podAnnotation: config.nodePodAnnotationPolicy } });
  const ensureNodeRbac = identities.ensureNode;
  add((queue) =>
    poolController({
      queue,
      state,
      pools,
      deployments,
      networkPolicies,
      pods,
      writer,
      apps,
      networking,
      core,
      events,
      config,
      workOf: (namespace, pod) => {
        const on = state.tasksOnNode(`${namespace}/${pod}`);
        const ran = state.tasksRunOnNode(`${namespace}/${pod}`);
        return { runningTasks: on.length, runningTaskSlots: on.reduce((n, t) => n + t.requiredSlots, 0), totalTasksRun: ran.run, totalTasksSucceeded: ran.succeeded, recentTasks: state.recentTasksOnNode(`${namespace}/${pod}`) };
      },
      onStatus: (pool, status) => {
        for (const [stateName, count] of Object.entries(status.nodeCounts ?? {})) {
          if (stateName !== "total") metrics.poolNodes.set({ namespace: pool.metadata.namespace ?? "", pool: pool.metadata.name, state: stateName }, count ?? 0);
        }
      },
      ensureNodeRbac,
    }),
  );
  add((queue) =>
    dispatchController({
      queue,
      state,
      custom,
      log,
      onAssigned: (task) => metrics.tasksDispatched.inc(poolLabels(task.jobKey)),
      onRequeued: (task) => metrics.tasksRequeued.inc(poolLabels(task.jobKey)),
      deallocation: (poolKey) => {
        const [namespace, name] = poolKey.split("/");
        return pools.get(name ?? "", namespace)?.spec?.nodeDeallocationOption;
      },
    }),
  );
  add((queue) => jobController({ queue, jobs, pools, state, writer, writes: makeTaskWrites(custom), custom, events, log }));
  add((queue) => workItemController({ queue, workItems, jobs, writer, events }));
  add((queue) =>
    autoPoolController({
      queue,
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
    }),
  );
  add((queue) => containerTaskController({ queue, tasks, jobs, state, writer, core, events, config, log, ensureUploadRbac: identities.ensureUpload }));
  add((queue) => nodeIdentityController({ queue, identities }));
  add((queue) => jobTokenController({ queue, tokens: makeJobTokens({ jobs, objects: KubernetesObjectApi.makeApiClient(kc), custom, clusterRole: config.jobTokenClusterRole, events }) }));
  const listBlobs = makeBlobLister(nodeIdentitySecretReader(kc));
  add((queue) => collectionController({ queue, collections, chunksOf: (namespace, name) => [...(chunksByCollection.get(`${namespace}/${name}`)?.values() ?? [])], listBlobs, writer, events, log }));

  let resync: NodeJS.Timeout | undefined;
  let gauges: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  return {
    state,
    async start(signal = new AbortController().signal) {
      await Promise.all(informers.map((i) => i.start()));
      // The lease may have been lost while the caches synced: then nothing may be written.
      if (signal.aborted) return;
      log(`caches synced: ${pools.list().length} pools, ${pods.list().length} node pods, ${jobs.list().length} jobs, ${tasks.list().length} tasks, ${collections.list().length} task collections (${chunks.list().length} chunks)`);
      running = Promise.all(controllers.map(({ controller, queue }) => queue.run(instrumented(metrics, controller.name, settled(controller.reconcile)), controller.workers, signal)));
      signal.addEventListener("abort", () => autoscaler.stop(), { once: true });
      gauges = setInterval(() => {
        for (const { controller, queue } of controllers) metrics.queueDepth.set({ queue: controller.name }, queue.depth);
        for (const pool of state.pools.values()) {
          const [namespace, name] = pool.key.split("/");
          metrics.poolPendingTasks.set({ namespace: namespace ?? "", pool: name ?? "" }, state.pendingCount(pool.key));
        }
      }, 2_000);
      gauges.unref();
      autoscaler.start();
      // Like client-go's resync: the cached pools, jobs and work items are replayed as updates.
      resync = setInterval(() => {
        for (const p of pools.list()) onPool("update", p);
        for (const j of jobs.list()) onJob("update", j);
        for (const w of workItems.list()) onWorkItem("update", w);
        for (const c of collections.list()) onCollection("update", c);
      }, resyncMs);
      resync.unref();
    },
    async stop() {
      clearInterval(resync);
      clearInterval(gauges);
      autoscaler.stop();
      for (const { queue } of controllers) queue.shutdown();
      await running;
      await Promise.all(informers.map((i) => i.stop()));
    },
    ready: () => informers.every((i) => i.synced),
  };
}
