// The node agent: learns its assignments through a watch filtered on its node label, runs
// each task once per assignment, and reports Running (only if the task is still running after
// a short delay, so quick tasks cost one write; again while it waits long before a retry, with
// its retryCount) and then Completed. Each run is recorded in the
// task's folder first (task-record.ts), so a failed write or an agent restart never runs it
// again: the result is written until it lands (status-writer.ts). It watches its namespace's Jobs
// too: a job's preparation task runs before the job's first task here, its release task
// when the job ends (job-preparation.ts, job-release.ts). CollectionChunks assigned here (the
// same label and annotation) run through a second watch, each chunk's items one after another
// (chunk-runner.ts).
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../../api/group.ts";
import { jobNames, parseJob, type Job } from "../../../api/job.ts";
import { jobOwnerUid } from "../../../kube/apply.ts";
import { parseTask, taskNames, withPreparationFailedNode, type Task } from "../../../api/task.ts";
import { completedConditions } from "../../../api/task-conditions.ts";
import { collectionChunkNames, parseCollectionChunk, type CollectionChunk } from "../../../api/collection-chunk.ts";
import { taskCollectionNames } from "../../../api/task-collection.ts";
import { assignmentAnnotation, nodeLabel } from "../../../api/labels.ts";
import { errorMessage } from "../../../kube/errors.ts";
import { makeEventRecorder } from "../../../kube/events.ts";
import { Informer, type EventKind, type WatchHealth } from "../../../kube/informer.ts";
import { nodeLayout, type NodeIdentity } from "../../../api/node-layout.ts";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { JobPreparations } from "./job-preparation.ts";
import { JobRecords } from "./job-record.ts";
import { JobReleases } from "./job-release.ts";
import { readGranted } from "./secret-read.ts";
import { executeTask, type ExecutionContext, type RunnableTask, type TaskOutcome } from "./task-execution.ts";
import { NotAssignedHere, notThisRun, ReportStopped, writeStatus, type RunRef, type WriteOptions } from "./status-writer.ts";
import { lookUpCollection } from "./chunk-collection.ts";
import { removeChunkRecord } from "./chunk-record.ts";
import { runChunk } from "./chunk-runner.ts";
import { readTaskRecord, removeTaskRecord, writeTaskRecord, type TaskRecord } from "./task-record.ts";
import type { CollectionChunkObject, TaskObject } from "../../../kube/objects.ts";
import type { Launcher } from "../process/run-process.ts";

export type AgentOptions = {
  kubeConfig: KubeConfig;
  namespace: string;
  node: NodeIdentity;
  env: NodeJS.ProcessEnv;
  /** Starts task processes: in the node pod's `tasks` container, which holds no credentials. */
  launch: Launcher;
  /** The agent's own folder (not mounted where user code runs): its run records. */
  stateDir: string;
  log: (line: string) => void;
  /** A task still running after this long is reported Running; quicker ones only Completed. */
  runningReportDelayMs?: number;
  /**
   * A task still waiting for its job's preparation task or its resource files after this long
   * (default 1 s) is reported Preparing: slow preparations are shown, quick ones cost no write.
   */
  preparingReportDelayMs?: number;
};

/** reporting: the run has ended and this agent is writing its Completed status. */
type Execution = { abort: AbortController; done: Promise<void>; reporting: boolean; jobName: string };
/** A chunk's run: under which assignment, from which resourceVersion of the chunk. */
type ChunkExecution = { abort: AbortController; done: Promise<void>; jobName: string; assignment: string; rv?: string };
/** How many deleted jobs' names the agent remembers (their tasks and chunks are not started while they linger). */
const maxDeletedJobs = 10_000;

const cacheMs = 30_000;
/** How long a stopping agent keeps trying to write results already on disk (the next agent of this pod would too). */
const reportGraceMs = 5_000;
/** How long a task waits for its Job to reach the agent's cache (the two watches are not ordered). */
const jobWaitMs = 10_000;

export class TaskAgent {
  private readonly opts: AgentOptions;
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly informer: Informer<TaskObject>;
  private readonly running = new Map<string, Execution>();
  /** uid → resourceVersion of our Completed write, until the watch shows it. */
  private readonly finished = new Map<string, number>();
  private readonly jobInformer: Informer<KubernetesObject>;
  private readonly chunkInformer: Informer<CollectionChunkObject>;
  private readonly chunks = new Map<string, ChunkExecution>();
  /** Chunk uid → resourceVersion of our Completed write, until the watch shows it. */
  private readonly finishedChunks = new Map<string, number>();
  /** Parsed jobs by name, while their resourceVersion is current. */
  private readonly parsedJobs = new Map<string, { rv?: string; job?: Job }>();
  /** Names of jobs deleted (insertion order, bounded), until a job of that name appears again. */
  private readonly deletedJobs = new Map<string, string>();
  private readonly jobWaiters = new Map<string, Set<() => void>>();
  private readonly preparations: JobPreparations;
  private readonly releases: JobReleases;
  private readonly secrets = new Map<string, { at: number; value?: string }>();
  private stopping = false;
  /** Ends pending status writes: a little after stop() so a result in flight still lands. */
  private readonly reportsStop = new AbortController();

  constructor(opts: AgentOptions) {
    this.opts = opts;
    this.custom = opts.kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = opts.kubeConfig.makeApiClient(CoreV1Api);
    const selector = `${nodeLabel}=${opts.node.nodeId}`;
    this.informer = new Informer<TaskObject>({
      kubeConfig: opts.kubeConfig,
      path: `/apis/${GROUP}/${VERSION}/namespaces/${opts.namespace}/${taskNames.plural}`,
      labelSelector: selector,
      list: async () =>
        (await this.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: opts.namespace, plural: taskNames.plural, labelSelector: selector })) as KubernetesListObject<TaskObject>,
      onEvent: (kind, obj) => this.onEvent(kind, obj),
      log: opts.log,
    });
    this.chunkInformer = new Informer<CollectionChunkObject>({
      kubeConfig: opts.kubeConfig,
      path: `/apis/${GROUP}/${VERSION}/namespaces/${opts.namespace}/${collectionChunkNames.plural}`,
      labelSelector: selector,
      list: async () =>
        (await this.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: opts.namespace, plural: collectionChunkNames.plural, labelSelector: selector })) as KubernetesListObject<CollectionChunkObject>,
      onEvent: (kind, obj) => this.onChunkEvent(kind, obj),
      log: opts.log,
    });
    this.jobInformer = new Informer<KubernetesObject>({
      kubeConfig: opts.kubeConfig,
      path: `/apis/${GROUP}/${VERSION}/namespaces/${opts.namespace}/${jobNames.plural}`,
      list: async () =>
        (await this.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: opts.namespace, plural: jobNames.plural })) as KubernetesListObject<KubernetesObject>,
      onEvent: (kind, obj) => this.onJobEvent(kind, obj),
      log: opts.log,
    });
    const records = new JobRecords(opts.node.rootDir, opts.node.nodeId);
    const exec = (task: RunnableTask, job: Job, signal: AbortSignal) => executeTask(task, job, { ...this.executionContext(job.metadata.namespace ?? opts.namespace), signal });
    // Per-node outcomes of the job preparation and release tasks, as Events on the Job.
    const events = makeEventRecorder(opts.kubeConfig, opts.log, "kubatch-agent");
    const report = (job: Job, type: "Normal" | "Warning", reason: string, message: string) =>
      events.record({ apiVersion: job.apiVersion, kind: job.kind, metadata: { name: job.metadata.name, namespace: job.metadata.namespace, uid: job.metadata.uid, resourceVersion: job.metadata.resourceVersion } }, type, reason, message);
    this.preparations = new JobPreparations({ nodeId: opts.node.nodeId, records, exec, log: opts.log, report });
    this.releases = new JobReleases({
      nodeId: opts.node.nodeId,
      records,
      exec,
      log: opts.log,
      report,
      preparations: this.preparations,
      tasksRunning: (jobName) => this.runs().filter((e) => e.jobName === jobName).map((e) => e.done),
    });
  }

  async start(): Promise<void> {
    // Jobs first, so a task's job is normally in the cache when the task arrives.
    await this.jobInformer.start();
    await this.informer.start();
    await this.chunkInformer.start();
    this.opts.log(`watching tasks and collection chunks assigned to ${this.opts.node.nodeId} (${this.informer.list().length} and ${this.chunkInformer.list().length} now)`);
  }

  /**
   * Stops every task process without reporting it; results already on disk get a few seconds
   * to land. What stays on disk (an interrupted attempt, an unwritten result) is the next
   * agent's of this node pod; a node pod that goes away takes it along and the operator
   * requeues its tasks.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    // Runs first: the pod's tasks container got the same SIGTERM, and its runner's end must
    // read as this stop, not as the container dying under a running task.
    for (const e of this.runs()) e.abort.abort();
    await this.informer.stop();
    await this.chunkInformer.stop();
    await this.jobInformer.stop();
    const grace = setTimeout(() => this.reportsStop.abort(), reportGraceMs);
    await Promise.all([this.preparations.stop(), this.releases.stop(), Promise.allSettled(this.runs().map((e) => e.done))]);
    clearTimeout(grace);
    this.reportsStop.abort();
  }

  /** Every run in progress: tasks' and chunks'. */
  private runs(): (Execution | ChunkExecution)[] {
    return [...this.running.values(), ...this.chunks.values()];
  }

  /** Tasks and chunks running. */
  get runningCount(): number {
    return this.running.size + this.chunks.size;
  }

  /** How its watches fare, for the health endpoints (health.ts). */
  watchHealth(): WatchHealth[] {
    return [this.jobInformer.health(), this.informer.health(), this.chunkInformer.health()];
  }

  private onEvent(kind: "add" | "update" | "delete", obj: TaskObject): void {
    const uid = obj.metadata?.uid ?? "";
    if (kind === "delete" || obj.metadata?.labels?.[nodeLabel] !== this.opts.node.nodeId) {
      const current = this.running.get(uid);
      current?.abort.abort();
      if (kind === "delete" && obj.metadata?.labels?.[nodeLabel] === this.opts.node.nodeId) void this.removeTaskDir(obj, current?.done);
      return;
    }
    const current = this.running.get(uid);
    // Completed by someone else while it runs (the job was terminated or disabled with
    // Terminate): stop the process; the operator's status stands.
    if (current && obj.status?.state === "Completed" && !current.reporting) current.abort.abort();
    if (this.stopping || current) return;
    if (obj.status?.state === "Completed") {
      this.finished.delete(uid);
      return;
    }
    // Given back (the job's preparation failed here): the operator takes it to another node.
    if (obj.status?.preparationFailedNodes?.includes(this.opts.node.nodeId)) return;
    // Its job was deleted (maybe created again): the task goes too (garbage collection), it does not start again.
    if (this.ofDeletedJob(obj)) return;
    const written = this.finished.get(uid);
    // An event older than our Completed write is stale, not a reactivation.
    if (written !== undefined && Number(obj.metadata?.resourceVersion) <= written) return;
    this.finished.delete(uid);
    const parsed = parseTask(obj);
    if (!parsed.ok) return; // The operator reports invalid tasks and never assigns them.
    const abort = new AbortController();
    const execution: Execution = { abort, done: Promise.resolve(), reporting: false, jobName: parsed.value.spec.jobName };
    execution.done = this.run(obj, parsed.value, execution)
      .catch((err: unknown) => this.opts.log(`task ${obj.metadata?.namespace}/${obj.metadata?.name}: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        this.running.delete(uid);
        // An event that arrived while this run was ending (e.g. a new assignment after a
        // requeue) was skipped: look at the task as the cache has it now.
        const current = this.informer.get(obj.metadata?.name ?? "", obj.metadata?.namespace);
        if (current && !this.stopping) this.onEvent("update", current);
      });
    this.running.set(uid, execution);
  }

  private async run(obj: TaskObject, task: Task, execution: Execution): Promise<void> {
    const meta = obj.metadata!;
    const node = this.opts.node;
    const run: RunRef = { namespace: meta.namespace!, name: meta.name!, uid: meta.uid!, node: node.nodeId, assignment: meta.annotations?.[assignmentAnnotation] ?? "" };
    const what = `task ${run.namespace}/${run.name}`;
    // The run's record lives in the agent's own folder: user code on this node cannot rewrite it.
    const recordDir = join(this.opts.stateDir, "tasks", task.spec.jobName, task.spec.id);
    const previous = obj.status;
    const nodeInfo = { poolId: node.poolId, nodeId: node.nodeId };
    let rv = meta.resourceVersion!;

    // An earlier agent of this node pod ran this assignment: report its result, or go on
    // from the attempt its end cut short — never start the run over.
    const record = await readTaskRecord(recordDir, run.uid, run.assignment);
    if (record?.completed) {
      this.opts.log(`${what}: reporting the result an earlier agent recorded`);
      return this.report(run, rv, record.completed, recordDir, execution);
    }
    const resume =
      record && record.attempts > 0
        ? { attempts: record.attempts, interruptions: record.interruptions + 1, startTime: new Date(record.startTime ?? Date.now()), lastRetryTime: record.lastRetryTime ? new Date(record.lastRetryTime) : undefined }
        : undefined;
    if (resume) this.opts.log(`${what}: attempt ${resume.attempts} ended with the previous agent (${resume.interruptions} in a row)`);

    let timer: NodeJS.Timeout | undefined;
    const abortLocal = new AbortController();
    execution.abort.signal.addEventListener("abort", () => abortLocal.abort(), { once: true });
    let current: TaskRecord = { uid: run.uid, assignment: run.assignment, attempts: record?.attempts ?? 0, interruptions: resume?.interruptions ?? 0, startTime: record?.startTime };

    // The run's status writes before Completed (Running, and the retry waits) go one after the
    // other, each with the resourceVersion the one before returned, and Completed waits for them:
    // no two writes of this run race, and none is sent with a stale rv. They are not retried;
    // the Completed write carries everything anyway.
    let writes = Promise.resolve();
    let startedAt: Date | undefined;
    // The state the last write of this run gave (Preparing comes before Running).
    let reportedState = previous?.state ?? "Active";
    const writeRunning = (label: string, executionInfo: Record<string, unknown>) => {
      const at = startedAt ?? new Date();
      const status = {
        state: "Running",
        previousState: reportedState,
        stateTransitionTime: at.toISOString(),
        nodeInfo,
        // A blocked task's "waiting for dependencies" no longer applies.
        conditions: null,
        executionInfo: { startTime: current.startTime ?? at.toISOString(), endTime: null, exitCode: null, result: null, failureInfo: null, ...executionInfo },
      };
      reportedState = "Running";
      queueWrite(label, status);
    };
    /** Chains a status write of this run after the ones before it, with the resourceVersion they returned. */
    const queueWrite = (label: string, status: Record<string, unknown>) => {
      writes = writes
        .then(() => writeStatus(this.custom, taskNames, run, rv, status, this.writeOptions(run, false)))
        .then(
          (next) => void (rv = next),
          (err: unknown) => {
            // Requeued or reassigned meanwhile: stop here (a wait before a retry ends at once) and report nothing.
            if (err instanceof NotAssignedHere) abortLocal.abort();
            else this.opts.log(`${what}: ${label} not reported: ${errorMessage(err)}`);
          },
        );
    };

    const job = await this.job(task.spec.jobName, abortLocal.signal);
    // A task of a job deleted (maybe created again since) that garbage collection has not removed yet.
    // The owner is compared with the job as cached, parsed or not (a job this agent cannot parse is not a deleted one).
    const owner = jobOwnerUid(obj.metadata?.ownerReferences);
    const cachedJob = this.jobInformer.get(task.spec.jobName, this.opts.namespace);
    if (owner && owner !== cachedJob?.metadata?.uid) {
      this.opts.log(`${what}: its job ${task.spec.jobName} (uid ${owner}) was deleted: not run`);
      // Remembered, so the next event of the task (until garbage collection takes it) starts nothing.
      if (!cachedJob) this.rememberDeleted(task.spec.jobName, owner);
      return this.forget(recordDir);
    }
    // Azure Batch's Preparing: on this node, waiting for the job's preparation task or the
    // task's resource files. Written only when that lasts (preparingReportDelayMs).
    const preparingSince = new Date();
    // Not for a run resumed after an agent restart: it was Running, and is not again Preparing.
    const mayReportPreparing = !resume && (previous?.state ?? "Active") === "Active";
    let preparingTimer: NodeJS.Timeout | undefined = !mayReportPreparing ? undefined : setTimeout(() => {
      preparingTimer = undefined;
      const status = { state: "Preparing", previousState: reportedState, stateTransitionTime: preparingSince.toISOString(), nodeInfo, conditions: null };
      reportedState = "Preparing";
      queueWrite("Preparing", status);
    }, this.opts.preparingReportDelayMs ?? 1_000);
    const preparedNow = () => {
      clearTimeout(preparingTimer);
      preparingTimer = undefined;
    };
    // A run that throws reports no Preparing after it.
    const preparing = <T>(step: Promise<T>): Promise<T> => step.catch((err: unknown) => (preparedNow(), Promise.reject(err)));
    // The job's preparation task first (once per node); after a failed one the task is given
    // back unrun, as Azure Batch leaves it to other nodes.
    const ready = job && !abortLocal.signal.aborted ? await preparing(this.preparations.beforeTask(job, abortLocal.signal)) : { ok: true as const };
    if (abortLocal.signal.aborted || !ready.ok) {
      preparedNow();
      await writes;
    }
    if (abortLocal.signal.aborted) return this.forget(recordDir);
    if (!ready.ok) return this.giveBack(run, rv, previous, ready.failureInfo.message ?? ready.failureInfo.code, recordDir, reportedState === "Preparing");
    const outcome: TaskOutcome = await preparing(executeTask(task.spec, job, {
      ...this.executionContext(run.namespace),
      signal: abortLocal.signal,
      resume,
      onAttempt: async (retryCount, at, interruptions) => {
        // The attempt is on disk before its process starts: an agent that dies now leaves a record that counts it.
        current = { ...current, attempts: retryCount + 1, interruptions, startTime: current.startTime ?? at.toISOString(), ...(retryCount > 0 ? { lastRetryTime: at.toISOString() } : {}) };
        await writeTaskRecord(recordDir, current).catch((err: unknown) => this.opts.log(`${what}: attempt not recorded on disk: ${errorMessage(err)}`));
      },
      onStarted: (at) => {
        preparedNow();
        startedAt = at;
        timer = setTimeout(() => writeRunning("Running", {}), this.opts.runningReportDelayMs ?? 100);
      },
      // `kubectl get` shows the task retrying while it waits. This is the Running write too
      // when that one is still due (it says Running, as that one would).
      onRetryWait: (retryCount, lastRetryTime) => {
        clearTimeout(timer);
        writeRunning(`the wait before retry ${retryCount + 1}`, { retryCount, ...(lastRetryTime ? { lastRetryTime: lastRetryTime.toISOString() } : {}) });
      },
    }));
    clearTimeout(timer);
    preparedNow();
    await writes;
    if (abortLocal.signal.aborted) return this.forget(recordDir);
    const completed = completedStatus(outcome, previous?.state ?? "Active", nodeInfo, previous?.executionInfo?.requeueCount ?? 0, meta.generation);
    // On disk before the API hears of it: an agent that dies from here on reports it, not reruns it.
    await writeTaskRecord(recordDir, { ...current, completed }).catch((err: unknown) => this.opts.log(`${what}: result not recorded on disk: ${errorMessage(err)}`));
    return this.report(run, rv, completed, recordDir, execution);
  }

  /**
   * The job's preparation task failed on this node: the task goes back unrun (state stays
   * Active), its status naming this node so the operator unassigns it and schedules none of
   * the job's tasks here again. Written until it lands or the task leaves this node. A task
   * reported Preparing goes back to Active without nodeInfo: it never started, and the
   * operator counts no requeue for it.
   */
  private async giveBack(run: RunRef, rv: string, previous: TaskObject["status"], why: string, recordDir: string, wasPreparing: boolean): Promise<void> {
    const what = `task ${run.namespace}/${run.name}`;
    const unprepared = wasPreparing ? { state: "Active", previousState: "Preparing", stateTransitionTime: new Date().toISOString(), nodeInfo: null } : {};
    try {
      const next = await writeStatus(this.custom, taskNames, run, rv, { preparationFailedNodes: withPreparationFailedNode(previous?.preparationFailedNodes, run.node), ...unprepared }, this.writeOptions(run, true));
      // Events older than this write do not start the task again (the cache may lag).
      this.finished.set(run.uid, Number(next));
      this.opts.log(`${what}: given back unrun: ${why}`);
    } catch (err) {
      if (err instanceof ReportStopped) return;
      if (!(err instanceof NotAssignedHere)) throw err;
      this.opts.log(`${err.message}: nothing to give back`);
    }
    await this.forget(recordDir);
  }

  /** Writes the run's Completed status until it lands, the task leaves this node, or the agent stops. */
  private async report(run: RunRef, rv: string, completed: Record<string, unknown>, recordDir: string, execution: Execution): Promise<void> {
    execution.reporting = true;
    try {
      const next = await writeStatus(this.custom, taskNames, run, rv, completed, this.writeOptions(run, true));
      this.finished.set(run.uid, Number(next));
    } catch (err) {
      // Stopping: the record stays for the next agent of this node pod.
      if (err instanceof ReportStopped) return;
      if (!(err instanceof NotAssignedHere)) throw err;
      this.opts.log(`${err.message}: this node's result is not reported`);
    }
    await this.forget(recordDir);
  }

  /**
   * A deleted task's directory goes with it, once its process stopped (Azure Batch: "when a Task
   * is deleted, all of the files in its directory on the Compute Node are also deleted") —
   * deleted by a user, or by the operator when its constraints.retentionTime ran out.
   */
  private async removeTaskDir(obj: TaskObject, running: Promise<void> | undefined): Promise<void> {
    const jobName = obj.spec?.jobName;
    const id = obj.spec?.id ?? obj.metadata?.name;
    if (!jobName || !id) return;
    await running;
    await rm(nodeLayout(this.opts.node.rootDir).taskDir(jobName, id), { recursive: true, force: true }).catch((err: unknown) =>
      this.opts.log(`task ${obj.metadata?.namespace}/${obj.metadata?.name} deleted: its directory stays: ${errorMessage(err)}`),
    );
  }

  /** The run is over for this node (reported, or taken away): its record goes, unless the agent is stopping mid-run. */
  private async forget(recordDir: string): Promise<void> {
    if (this.stopping) return;
    await removeTaskRecord(recordDir).catch(() => undefined);
  }

  private onChunkEvent(kind: EventKind, obj: CollectionChunkObject): void {
    const meta = obj.metadata;
    const uid = meta?.uid ?? "";
    const current = this.chunks.get(uid);
    const assignment = meta?.annotations?.[assignmentAnnotation] ?? "";
    // Requeued (label and annotation removed, maybe a new assignment), deleted, or completed by
    // the operator meanwhile: stop the run (a Completed event of our own write comes after its end).
    if (kind === "delete" || meta?.labels?.[nodeLabel] !== this.opts.node.nodeId || obj.status?.state === "Completed" || (current && current.assignment !== assignment)) {
      current?.abort.abort();
      if (obj.status?.state === "Completed" && !current) {
        this.finishedChunks.delete(uid);
        // Left behind when an agent ended between the Completed write and the record's removal.
        void removeChunkRecord(this.chunkRecordDir(meta?.namespace ?? this.opts.namespace, meta?.name ?? "")).catch(() => undefined);
      }
      return;
    }
    if (this.stopping || current) return;
    const written = this.finishedChunks.get(uid);
    // An event older than our Completed write is stale, not a new run.
    if (written !== undefined && Number(meta?.resourceVersion) <= written) return;
    this.finishedChunks.delete(uid);
    const parsed = parseCollectionChunk(obj);
    if (!parsed.ok) return; // The operator makes chunks; an invalid one is not run.
    if (this.deletedJobs.has(parsed.value.spec.jobName)) return; // Goes with its job (and collection); looked at again if the job is created again.
    if (obj.status?.preparationFailedNodes?.includes(this.opts.node.nodeId)) return; // Given back: the operator takes it elsewhere.
    const execution: ChunkExecution = { abort: new AbortController(), done: Promise.resolve(), jobName: parsed.value.spec.jobName, assignment, rv: meta?.resourceVersion };
    execution.done = this.runChunk(parsed.value, assignment, execution)
      .catch((err: unknown) => this.opts.log(`chunk ${meta?.namespace}/${meta?.name}: ${errorMessage(err)}`))
      .finally(() => {
        this.chunks.delete(uid);
        // An event that arrived while the run was ending (a new assignment) was skipped: look
        // at the chunk as the cache has it now — if it changed, so a failed run is not retried in a loop.
        const now = this.chunkInformer.get(meta?.name ?? "", meta?.namespace);
        if (now && !this.stopping && now.metadata?.resourceVersion !== execution.rv) this.onChunkEvent("update", now);
      });
    this.chunks.set(uid, execution);
  }

  private async runChunk(chunk: CollectionChunk, assignment: string, execution: ChunkExecution): Promise<void> {
    const meta = chunk.metadata;
    const namespace = meta.namespace ?? this.opts.namespace;
    const run: RunRef = { namespace, name: meta.name, uid: meta.uid ?? "", node: this.opts.node.nodeId, assignment };
    let rv = meta.resourceVersion ?? "";
    const completedRv = await runChunk({
      ref: run,
      spec: chunk.spec,
      status: chunk.status,
      recordDir: this.chunkRecordDir(namespace, meta.name),
      node: this.opts.node,
      collection: (signal) =>
        lookUpCollection(
          () => this.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: taskCollectionNames.plural, name: chunk.spec.collectionName }),
          chunk.spec,
          signal,
          this.opts.log,
        ),
      prepare: async (signal) => {
        const job = await this.job(chunk.spec.jobName, signal);
        // The job's preparation task first (once per node); after a failed one the chunk is given back.
        return { job, ready: job && !signal.aborted ? await this.preparations.beforeTask(job, signal) : { ok: true } };
      },
      context: this.executionContext(namespace),
      write: async (status, persistent) => (rv = await writeStatus(this.custom, collectionChunkNames, run, rv, status, this.writeOptions(run, persistent, this.chunkInformer))),
      signal: execution.abort.signal,
      stopping: () => this.stopping,
      log: this.opts.log,
    });
    if (completedRv !== undefined) this.finishedChunks.set(run.uid, Number(completedRv));
  }

  /** A chunk's record folder: in the agent's own folder, which user code on this node cannot rewrite. */
  private chunkRecordDir(namespace: string, name: string): string {
    return join(this.opts.stateDir, "chunks", namespace, name);
  }

  /** The agent's cache (of tasks, or of chunks) still shows the object assigned here under the run's assignment. */
  private assignedHere(run: RunRef, cache: Informer<TaskObject> | Informer<CollectionChunkObject>): boolean {
    const cached = cache.get(run.name, run.namespace);
    return cached !== undefined && notThisRun(cached, run) === undefined;
  }

  /** How this run's status writes go: until the agent stops, and only while the task (or chunk) is still the run's. */
  private writeOptions(run: RunRef, persistent: boolean, cache: Informer<TaskObject> | Informer<CollectionChunkObject> = this.informer): WriteOptions {
    return { persistent, signal: this.reportsStop.signal, stillHere: () => this.assignedHere(run, cache), log: this.opts.log };
  }

  private executionContext(namespace: string): ExecutionContext {
    return {
      node: this.opts.node,
      launch: this.opts.launch,
      secret: (name, key) => this.secret(namespace, name, key),
      autoStorageConnectionString: this.opts.env.KUBATCH_AUTO_STORAGE_CONNECTION_STRING,
      api: { namespace, server: this.opts.kubeConfig.getCurrentCluster()?.server ?? "", readSecret: (name) => this.core.readNamespacedSecret({ name, namespace }) },
      log: this.opts.log,
    };
  }

  private onJobEvent(kind: EventKind, obj: KubernetesObject): void {
    const name = obj.metadata?.name ?? "";
    if (kind === "delete") {
      this.parsedJobs.delete(name);
      // Azure Batch's job delete stops the job's running tasks: their processes end here (no
      // result is reported; the Tasks go with the Job, which owns them), then the release task runs.
      this.rememberDeleted(name, obj.metadata?.uid ?? "");
      for (const e of this.runs()) if (e.jobName === name) e.abort.abort();
    } else if (this.deletedJobs.delete(name) && !this.stopping) {
      // Created again: its tasks and chunks that arrived before it were skipped; look at them now.
      for (const t of this.informer.list()) if (t.spec?.jobName === name) this.onEvent("update", t);
      for (const c of this.chunkInformer.list()) if (c.spec?.jobName === name) this.onChunkEvent("update", c);
    }
    // Only an ended job matters here (its release task); tasks parse their job when they start.
    if (kind === "delete" || (obj as { status?: { state?: string } }).status?.state === "Completed") {
      const parsed = parseJob(obj);
      if (parsed.ok) this.releases.onJob(kind, parsed.value);
    }
    for (const wake of this.jobWaiters.get(name) ?? []) wake();
  }

  private rememberDeleted(jobName: string, uid: string): void {
    this.deletedJobs.delete(jobName);
    this.deletedJobs.set(jobName, uid);
    if (this.deletedJobs.size > maxDeletedJobs) this.deletedJobs.delete(this.deletedJobs.keys().next().value!);
  }

  /**
   * Whether the task belongs to a deleted job: one owned by a job uid other than the cached
   * job's, or one of a job name deleted here whose owner is that job (or unknown) — a task of a
   * job created again under the name is looked at again when that job's event comes.
   */
  private ofDeletedJob(obj: TaskObject): boolean {
    const jobName = obj.spec?.jobName ?? "";
    const owner = jobOwnerUid(obj.metadata?.ownerReferences);
    const deleted = this.deletedJobs.get(jobName);
    if (deleted !== undefined && (owner === undefined || owner === deleted)) return true;
    const jobUid = this.jobInformer.get(jobName, this.opts.namespace)?.metadata?.uid;
    return owner !== undefined && jobUid !== undefined && owner !== jobUid;
  }

  /** The task's Job from the watch cache; a task that arrives before its job waits for it a little. */
  private async job(name: string, signal: AbortSignal): Promise<Job | undefined> {
    let raw = this.jobInformer.get(name, this.opts.namespace);
    if (!raw) {
      await new Promise<void>((resolve) => {
        const waiters = this.jobWaiters.get(name) ?? new Set();
        this.jobWaiters.set(name, waiters);
        const wake = () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", wake);
          waiters.delete(wake);
          if (waiters.size === 0) this.jobWaiters.delete(name);
          resolve();
        };
        const timer = setTimeout(wake, jobWaitMs);
        signal.addEventListener("abort", wake, { once: true });
        waiters.add(wake);
      });
      raw = this.jobInformer.get(name, this.opts.namespace);
      if (!raw) return undefined;
    }
    const rv = raw.metadata?.resourceVersion;
    const cached = this.parsedJobs.get(name);
    if (cached && cached.rv === rv) return cached.job;
    const parsed = parseJob(raw);
    const job = parsed.ok ? parsed.value : undefined;
    this.parsedJobs.set(name, { rv, job });
    return job;
  }

  private async secret(namespace: string, name: string, key: string): Promise<string | undefined> {
    const id = `${namespace}/${name}/${key}`;
    const cached = this.secrets.get(id);
    if (cached && Date.now() - cached.at < cacheMs) return cached.value;
    const secret = await readGranted(() => this.core.readNamespacedSecret({ name, namespace }));
    const data = secret.data?.[key];
    const value = data === undefined ? undefined : Buffer.from(data, "base64").toString("utf8");
    if (value === undefined) throw new Error(`Secret ${name} has no key ${key}`);
    this.secrets.set(id, { at: Date.now(), value });
    return value;
  }
}

/**
 * requeueCount is the operator's: written back as this run's assignment found it (0 when never
 * requeued, as Azure reports it) — a requeue since would be a new assignment, which the write
 * refuses (status-writer.ts). lastRequeueTime is left as it is.
 */
function completedStatus(o: TaskOutcome, previousState: string, nodeInfo: object, requeueCount: number, generation: number | undefined): Record<string, unknown> {
  return {
    state: "Completed",
    previousState: previousState === "Active" ? "Running" : previousState,
    stateTransitionTime: o.endTime.toISOString(),
    nodeInfo,
    conditions: completedConditions({ result: o.result, exitCode: o.exitCode, failureInfo: o.failureInfo, at: o.endTime, generation: generation ?? 0 }),
    executionInfo: {
      startTime: o.startTime.toISOString(),
      endTime: o.endTime.toISOString(),
      exitCode: o.exitCode ?? null,
      result: o.result,
      failureInfo: o.failureInfo ?? null,
      retryCount: o.retryCount,
      requeueCount,
      lastRetryTime: o.lastRetryTime?.toISOString() ?? null,
    },
    stdoutTail: o.stdoutTail ?? null,
    stderrTail: o.stderrTail ?? null,
  };
}
