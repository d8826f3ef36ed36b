// The node agent: learns its assignments through a watch filtered on its node label, runs
// each task once, and reports Running (only if the task is still running after a short
// delay, so quick tasks cost one write) and then Completed.
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type KubernetesListObject } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../../operator/src/api/group.ts";
import { jobNames, parseJob, type Job } from "../../../operator/src/api/job.ts";
import { parseTask, taskNames, type Task } from "../../../operator/src/api/task.ts";
import { nodeLabel } from "../../../operator/src/dispatch/labels.ts";
import type { TaskObject } from "../../../operator/src/dispatch/task-entry.ts";
import { Informer } from "../../../operator/src/kube/informer.ts";
import type { NodeIdentity } from "../node-layout.ts";
import { executeTask, type TaskOutcome } from "./task-execution.ts";
import { NotAssignedHere, writeTaskStatus } from "./status-writer.ts";

export type AgentOptions = {
  kubeConfig: KubeConfig;
  namespace: string;
  node: NodeIdentity;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** A task still running after this long is reported Running; quicker ones only Completed. */
  runningReportDelayMs?: number;
};

/** reporting: the run has ended and this agent is writing its Completed status. */
type Execution = { abort: AbortController; done: Promise<void>; reporting: boolean };

const cacheMs = 30_000;

export class TaskAgent {
  private readonly opts: AgentOptions;
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly informer: Informer<TaskObject>;
  private readonly running = new Map<string, Execution>();
  /** uid → resourceVersion of our Completed write, until the watch shows it. */
  private readonly finished = new Map<string, number>();
  private readonly jobs = new Map<string, { at: number; job?: Job }>();
  private readonly secrets = new Map<string, { at: number; value?: string }>();
  private stopping = false;

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
  }

  async start(): Promise<void> {
    await this.informer.start();
    this.opts.log(`watching tasks assigned to ${this.opts.node.nodeId} (${this.informer.list().length} now)`);
  }

  /** Stops every task process without reporting: the operator requeues what was running. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.informer.stop();
    for (const e of this.running.values()) e.abort.abort();
    await Promise.allSettled([...this.running.values()].map((e) => e.done));
  }

  get runningCount(): number {
    return this.running.size;
  }

  private onEvent(kind: "add" | "update" | "delete", obj: TaskObject): void {
    const uid = obj.metadata?.uid ?? "";
    if (kind === "delete" || obj.metadata?.labels?.[nodeLabel] !== this.opts.node.nodeId) {
      this.running.get(uid)?.abort.abort();
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
    const written = this.finished.get(uid);
    // An event older than our Completed write is stale, not a reactivation.
    if (written !== undefined && Number(obj.metadata?.resourceVersion) <= written) return;
    this.finished.delete(uid);
    const parsed = parseTask(obj);
    if (!parsed.ok) return; // The operator reports invalid tasks and never assigns them.
    const abort = new AbortController();
    const execution: Execution = { abort, done: Promise.resolve(), reporting: false };
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
    const signal = execution.abort.signal;
    const ref = { namespace: obj.metadata!.namespace!, name: obj.metadata!.name! };
    const uid = obj.metadata!.uid!;
    const node = this.opts.node;
    const previous = obj.status;
    // Running here before this agent started: the process died with the old agent.
    const restarted = previous?.state === "Running" && previous.nodeInfo?.nodeId === node.nodeId;
    const requeueCount = (previous?.executionInfo?.requeueCount ?? 0) + (restarted ? 1 : 0);
    const nodeInfo = { poolId: node.poolId, nodeId: node.nodeId };
    let rv = obj.metadata!.resourceVersion!;
    let runningWrite: Promise<void> | undefined;
    let timer: NodeJS.Timeout | undefined;
    const abortLocal = new AbortController();
    signal.addEventListener("abort", () => abortLocal.abort(), { once: true });

    const job = await this.job(ref.namespace, task.spec.jobName);
    const outcome = await executeTask(task, job, {
      node,
      baseEnv: this.opts.env,
      secret: (name, key) => this.secret(ref.namespace, name, key),
      autoStorageConnectionString: this.opts.env.KUBATCH_AUTO_STORAGE_CONNECTION_STRING,
      signal: abortLocal.signal,
      log: this.opts.log,
      onStarted: (at) => {
        timer = setTimeout(() => {
          runningWrite = writeTaskStatus(this.custom, ref, node.nodeId, rv, {
            state: "Running",
            previousState: previous?.state ?? "Active",
            stateTransitionTime: at.toISOString(),
            nodeInfo,
            // A blocked task's "waiting for dependencies" no longer applies.
            conditions: null,
            executionInfo: { startTime: at.toISOString(), requeueCount, ...(restarted ? { lastRequeueTime: at.toISOString() } : {}), endTime: null, exitCode: null, result: null, failureInfo: null },
          }).then(
            (next) => void (rv = next),
            (err: unknown) => {
              // Requeued or reassigned meanwhile: stop here and report nothing. Other
              // failures are logged; the Completed write carries everything anyway.
              if (err instanceof NotAssignedHere) abortLocal.abort();
              else this.opts.log(`task ${ref.namespace}/${ref.name}: Running not reported: ${err instanceof Error ? err.message : String(err)}`);
            },
          );
        }, this.opts.runningReportDelayMs ?? 100);
      },
    });
    clearTimeout(timer);
    if (runningWrite) await runningWrite;
    if (abortLocal.signal.aborted) return;
    execution.reporting = true;
    try {
      rv = await writeTaskStatus(this.custom, ref, node.nodeId, rv, completedStatus(outcome, previous?.state ?? "Active", nodeInfo, requeueCount, restarted));
      this.finished.set(uid, Number(rv));
    } catch (err) {
      if (!(err instanceof NotAssignedHere)) throw err;
    }
  }

  private async job(namespace: string, name: string): Promise<Job | undefined> {
    const key = `${namespace}/${name}`;
    const cached = this.jobs.get(key);
    if (cached && Date.now() - cached.at < cacheMs) return cached.job;
    const raw = await this.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: jobNames.plural, namespace, name }).catch(() => undefined);
    const parsed = raw ? parseJob(raw) : undefined;
    const job = parsed?.ok ? parsed.value : undefined;
    this.jobs.set(key, { at: Date.now(), job });
    return job;
  }

  private async secret(namespace: string, name: string, key: string): Promise<string | undefined> {
    const id = `${namespace}/${name}/${key}`;
    const cached = this.secrets.get(id);
    if (cached && Date.now() - cached.at < cacheMs) return cached.value;
    const secret = await this.core.readNamespacedSecret({ name, namespace });
    const data = secret.data?.[key];
    const value = data === undefined ? undefined : Buffer.from(data, "base64").toString("utf8");
    if (value === undefined) throw new Error(`Secret ${name} has no key ${key}`);
    this.secrets.set(id, { at: Date.now(), value });
    return value;
  }
}

function completedStatus(o: TaskOutcome, previousState: string, nodeInfo: object, requeueCount: number, restarted: boolean): Record<string, unknown> {
  return {
    state: "Completed",
    previousState: previousState === "Active" ? "Running" : previousState,
    stateTransitionTime: o.endTime.toISOString(),
    nodeInfo,
    conditions: null,
    executionInfo: {
      startTime: o.startTime.toISOString(),
      endTime: o.endTime.toISOString(),
      exitCode: o.exitCode,
      result: o.result,
      failureInfo: o.failureInfo ?? null,
      retryCount: o.retryCount,
      requeueCount,
      lastRetryTime: o.lastRetryTime?.toISOString() ?? null,
      ...(restarted ? { lastRequeueTime: o.startTime.toISOString() } : {}),
    },
    stdoutTail: o.stdoutTail ?? null,
    stderrTail: o.stderrTail ?? null,
  };
}
