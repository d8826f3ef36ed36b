// The benchmark's client side: creating tasks at a bounded concurrency or a steady rate,
// and a task informer that notes when each task was first seen assigned, running, completed.
import { BatchV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, type KubernetesListObject } from "@kubernetes/client-node";
import { nodeLabel } from "../../api/labels.ts";
import { Informer } from "../../kube/informer.ts";
import { forEachBounded } from "../../kube/bounded.ts";
import { sleep, until } from "./stats.ts";
import type { TaskObject } from "../../kube/objects.ts";

export const group = "kubatch.dev";
export const version = "v1alpha1";
export const phaseLabel = "bench.kubatch.dev/phase";

/** Wall-clock milliseconds with sub-millisecond resolution (same clock as `date +%s%N`). */
export const nowMs = () => performance.timeOrigin + performance.now();

export type Bench = {
  kc: KubeConfig;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  batch: BatchV1Api;
  namespace: string;
  log: (line: string) => void;
};

export function makeBench(kc: KubeConfig, namespace: string, log: (line: string) => void): Bench {
  return { kc, custom: kc.makeApiClient(CustomObjectsApi), core: kc.makeApiClient(CoreV1Api), batch: kc.makeApiClient(BatchV1Api), namespace, log };
}

export function createObject(b: Bench, kind: "Pool" | "Job" | "Task" | "TaskCollection", name: string, spec: object, labels?: Record<string, string>): Promise<unknown> {
  return b.custom.createNamespacedCustomObject({
    group,
    version,
    namespace: b.namespace,
    plural: `${kind.toLowerCase()}s`,
    body: { apiVersion: `${group}/${version}`, kind, metadata: { name, labels }, spec },
  });
}

export async function getObject<T = Record<string, unknown>>(b: Bench, plural: string, name: string): Promise<T> {
  return (await b.custom.getNamespacedCustomObject({ group, version, namespace: b.namespace, plural, name })) as T;
}

const transient = (err: unknown) => {
  const code = (err as { code?: number }).code;
  return code === 429 || code === 500 || code === 503 || code === 504 || code === undefined;
};

/** One create, retried (at most 3 times) on throttling, server errors and dropped connections. */
async function createTask(b: Bench, name: string, spec: object, labels: Record<string, string>, retries: { n: number }): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await createObject(b, "Task", name, spec, labels);
      return;
    } catch (err) {
      if ((err as { code?: number }).code === 409 && attempt > 0) return; // our earlier attempt got through
      if (attempt >= 3 || !transient(err)) throw err;
      retries.n++;
      await sleep(100 * 2 ** attempt);
    }
  }
}

export type TaskSpecOf = (i: number) => { name: string; spec: object };

export type CreateResult = { n: number; seconds: number; perSecond: number; retries: number; startedAt: number; endedAt: number };

/** Creates n tasks from one client with `inFlight` requests at a time (the CLI's default is 32). */
export async function createTasks(b: Bench, n: number, of: TaskSpecOf, labels: Record<string, string>, inFlight = 32): Promise<CreateResult> {
  const retries = { n: 0 };
  const startedAt = nowMs();
  let done = 0;
  let lastReport = startedAt;
  await forEachBounded(Array.from({ length: n }, (_, i) => i), inFlight, async (i) => {
    const t = of(i);
    await createTask(b, t.name, t.spec, labels, retries);
    done++;
    if (nowMs() - lastReport > 10_000) {
      lastReport = nowMs();
      b.log(`  created ${done}/${n}`);
    }
  });
  const endedAt = nowMs();
  const seconds = (endedAt - startedAt) / 1000;
  return { n, seconds: round3(seconds), perSecond: Math.round((n / seconds) * 10) / 10, retries: retries.n, startedAt, endedAt };
}

/**
 * Creates n tasks at a steady rate (one every 1000/rate ms, at most `maxInFlight` waiting),
 * calling `sent(name, at)` with the time each request was sent.
 */
export async function createAtRate(b: Bench, n: number, perSecond: number, of: TaskSpecOf, labels: Record<string, string>, sent: (name: string, at: number) => void, maxInFlight = 16, answered?: (name: string, at: number) => void): Promise<{ late: number }> {
  const interval = 1000 / perSecond;
  const start = nowMs();
  const pending = new Set<Promise<void>>();
  const retries = { n: 0 };
  let late = 0;
  for (let i = 0; i < n; i++) {
    const due = start + i * interval;
    const wait = due - nowMs();
    if (wait > 0) await sleep(wait);
    else if (wait < -interval) late++;
    while (pending.size >= maxInFlight) await Promise.race(pending);
    const t = of(i);
    sent(t.name, nowMs());
    const p: Promise<void> = createTask(b, t.name, t.spec, labels, retries)
      .then(() => answered?.(t.name, nowMs()))
      .finally(() => pending.delete(p));
    pending.add(p);
  }
  await Promise.all(pending);
  return { late };
}

export type Seen = { assigned?: number; running?: number; completed?: number; obj?: TaskObject };

/** Watches the tasks of one phase (by label) and notes when each first reached each stage. */
export class TaskTracker {
  readonly seen = new Map<string, Seen>();
  completedCount = 0;
  lastCompletedAt = 0;
  private readonly informer: Informer<TaskObject>;
  private waiters: (() => void)[] = [];

  constructor(b: Bench, phase: string) {
    const selector = `${phaseLabel}=${phase}`;
    this.informer = new Informer<TaskObject>({
      kubeConfig: b.kc,
      path: `/apis/${group}/${version}/namespaces/${b.namespace}/tasks`,
      labelSelector: selector,
      list: async () => (await b.custom.listNamespacedCustomObject({ group, version, namespace: b.namespace, plural: "tasks", labelSelector: selector })) as KubernetesListObject<TaskObject>,
      onEvent: (kind, obj) => kind !== "delete" && this.onEvent(obj),
      log: b.log,
    });
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }

  private onEvent(obj: TaskObject): void {
    const at = nowMs();
    const name = obj.metadata?.name ?? "";
    let s = this.seen.get(name);
    if (!s) this.seen.set(name, (s = {}));
    if (s.assigned === undefined && obj.metadata?.labels?.[nodeLabel]) s.assigned = at;
    const state = obj.status?.state;
    if (s.running === undefined && (state === "Running" || state === "Completed")) s.running = at;
    if (s.completed === undefined && state === "Completed") {
      s.completed = at;
      s.obj = obj;
      this.completedCount++;
      this.lastCompletedAt = at;
      for (const w of this.waiters) w();
    }
  }

  /** Resolves when n tasks have been seen Completed; throws after timeoutMs. */
  async waitCompleted(n: number, timeoutMs: number, progress?: (line: string) => void): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastReport = Date.now();
    while (this.completedCount < n) {
      if (Date.now() > deadline) throw new Error(`only ${this.completedCount}/${n} tasks completed after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1_000);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
      this.waiters = [];
      if (progress && Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        progress(`  completed ${this.completedCount}/${n}`);
      }
    }
  }
}

/** Deletes a phase's tasks (one DELETE collection) and waits, bounded, until they are gone. */
export async function deleteTasks(b: Bench, phase: string, timeoutMs = 120_000): Promise<void> {
  const labelSelector = `${phaseLabel}=${phase}`;
  await b.custom.deleteCollectionNamespacedCustomObject({ group, version, namespace: b.namespace, plural: "tasks", labelSelector });
  await until(`the ${phase} tasks to be deleted`, timeoutMs, 1_000, async () => {
    const list = (await b.custom.listNamespacedCustomObject({ group, version, namespace: b.namespace, plural: "tasks", labelSelector, limit: 1 })) as { items: unknown[] };
    return list.items.length === 0 ? true : undefined;
  });
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export { PooledKubeConfig } from "../../kube/kube-config.ts";
