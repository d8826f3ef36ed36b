// The live state of a job's tasks for `kubatch job wait`: one paged list, then a watch from
// its resourceVersion (relist on 410 Gone, re-watch when the stream ends). Only the small
// summary each task needs is kept, so 100,000 tasks stay cheap.
import { Watch } from "@kubernetes/client-node";
import { jobFieldSelector, listJobTasks, taskJob, tasksResource, type Cluster } from "./kube.ts";
import type { Counts } from "./progress.ts";
import { firstLine, outcomeOf, type Outcome } from "./task-row.ts";
import type { TaskObject } from "../kube/objects.ts";

export interface TaskSummary {
  outcome: Outcome;
  exitCode?: number;
  failureCode?: string;
  stderrLine?: string;
  /** An active task's reason to wait: its Schedulable=False condition's reason. */
  waiting?: string;
}

export function summarize(t: TaskObject): TaskSummary {
  const outcome = outcomeOf(t);
  if (outcome === "active") {
    const waiting = t.status?.conditions?.find((c) => c.type === "Schedulable" && c.status === "False")?.reason;
    return waiting ? { outcome, waiting } : { outcome };
  }
  if (outcome !== "failed") return { outcome };
  const e = t.status?.executionInfo;
  return { outcome, exitCode: e?.exitCode, failureCode: e?.failureInfo?.code, stderrLine: firstLine(t.status?.stderrTail) || firstLine(e?.failureInfo?.message) };
}

/** Per-outcome counts kept in step with the summaries, so each event costs O(1). */
export class TaskTally {
  readonly tasks = new Map<string, TaskSummary>();
  readonly counts: Counts = { total: 0, active: 0, running: 0, succeeded: 0, failed: 0 };

  set(name: string, s: TaskSummary | undefined): void {
    const old = this.tasks.get(name);
    if (old) {
      this.counts[old.outcome]--;
      this.counts.total--;
    }
    if (s) {
      this.tasks.set(name, s);
      this.counts[s.outcome]++;
      this.counts.total++;
    } else this.tasks.delete(name);
  }

  reset(): void {
    this.tasks.clear();
    for (const k of Object.keys(this.counts) as (keyof Counts)[]) this.counts[k] = 0;
  }
}

export class JobTaskWatch {
  readonly tally = new TaskTally();
  private readonly cluster: Cluster;
  private readonly job: string;
  private readonly onChange: () => void;
  private readonly log: (line: string) => void;
  private fieldSelector: string | undefined;
  private resourceVersion = "";
  private abort: AbortController | undefined;
  private stopped = false;

  constructor(cluster: Cluster, job: string, onChange: () => void, log: (line: string) => void = () => {}) {
    this.cluster = cluster;
    this.job = job;
    this.onChange = onChange;
    this.log = log;
  }

  async start(): Promise<void> {
    this.fieldSelector = await jobFieldSelector(this.cluster, this.job);
    await this.relist();
    void this.watch();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  private async relist(): Promise<void> {
    const { tasks, resourceVersion } = await listJobTasks(this.cluster, this.job, this.fieldSelector);
    this.tally.reset();
    for (const t of tasks) this.tally.set(t.metadata?.name ?? "", summarize(t));
    this.resourceVersion = resourceVersion;
    this.onChange();
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    const path = `/apis/${tasksResource.group}/${tasksResource.version}/namespaces/${this.cluster.namespace}/${tasksResource.plural}`;
    let gone = false;
    const ended = (err: unknown) => {
      if (this.stopped) return;
      const code = (err as { code?: unknown; statusCode?: unknown } | null)?.statusCode ?? (err as { code?: unknown } | null)?.code;
      if (code === 410) gone = true;
      if (err && !gone) this.log(`watch interrupted (${err instanceof Error ? err.message : String(err)}); resuming`);
      // Resume after a pause; a 410 means our resourceVersion is too old: list again first.
      setTimeout(() => void (gone ? this.relist().then(() => this.watch(), (e: unknown) => ended(e)) : this.watch()), err ? 1_000 : 0);
    };
    try {
      this.abort = await new Watch(this.cluster.kc).watch(
        path,
        { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, fieldSelector: this.fieldSelector },
        (phase: string, obj: TaskObject & { code?: number }) => {
          if (phase === "ERROR") {
            if (obj.code === 410) gone = true;
            return;
          }
          if (obj.metadata?.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
          if (phase === "BOOKMARK" || taskJob(obj) !== this.job) return;
          this.tally.set(obj.metadata?.name ?? "", phase === "DELETED" ? undefined : summarize(obj));
          this.onChange();
        },
        ended,
      );
    } catch (err) {
      ended(err);
    }
  }
}
