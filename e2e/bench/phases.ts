// The benchmark's phases. Each returns plain data for the report and bench.json; each is
// bounded in time and cleans up after itself so the next phase starts from an idle pool.
import { loadavg } from "node:os";
import type { V1Job } from "@kubernetes/client-node";
import type { TaskCollectionStatus } from "../../api/task-collection.ts";
import { mergePatch } from "../../kube/apply.ts";
import { delta, scrape, writes, type RequestCounts, type WriteSummary } from "./apiserver-metrics.ts";
import { cpuSnapshot, cpuUse, type CpuSnapshot, type CpuUse } from "./components.ts";
import { compareConnectionReuse } from "./connection-reuse.ts";
import { createAtRate, createObject, createTasks, deleteTasks, getObject, group, makeBench, nowMs, phaseLabel, PooledKubeConfig, TaskTracker, version, type Bench, type CreateResult } from "./kube.ts";
import { dbGrowth, etcdDbSize } from "./etcd-metrics.ts";
import { nodeCpuSnapshot, nodeCpuUse } from "./node-processes.ts";
import { ProcSampler, type ProcSummary } from "./proc.ts";
import { spawnCeiling } from "./spawn-ceiling.ts";
import { percentiles, round, sleep, until } from "./stats.ts";
import { containerPodJobLabel } from "../../api/labels.ts";
import { localImages } from "../../local-cluster/images/build.ts";

export type Env = Bench & {
  kubectl: string;
  kubeconfig: string;
  clusterId: string;
  operatorPid: () => number;
  /** etcd's client URL (its /metrics: the database size). */
  etcdUrl: string;
  warmPool: string;
  emptyPool: string;
  slots: number;
  /** Makes this run's job names unique, so a kept cluster can run the benchmark again. */
  run: string;
  /** Milliseconds left of the run's budget. */
  left: () => number;
};

/** API requests and CPU over a phase. */
class Meter {
  private readonly env: Env;
  private before?: RequestCounts;
  private cpu0?: CpuSnapshot;
  constructor(env: Env) {
    this.env = env;
  }
  async start(): Promise<void> {
    this.before = await scrape(this.env.kubectl, this.env.kubeconfig);
    this.cpu0 = cpuSnapshot(this.env.clusterId);
  }
  async stop(): Promise<{ requests: RequestCounts; cpu: CpuUse }> {
    const cpu = cpuUse(this.cpu0!, cpuSnapshot(this.env.clusterId));
    const after = await scrape(this.env.kubectl, this.env.kubeconfig);
    return { requests: delta(this.before!, after), cpu };
  }
}

const isTask = (r: string) => r === "tasks.kubatch.dev" || r.startsWith("tasks.kubatch.dev/");
const perTask = (w: WriteSummary, n: number) => Object.fromEntries(Object.entries(w.writes).map(([k, v]) => [k, round(v / n, 2)]));

/** Writes to tasks by verb and subresource, per task, with the create excluded from the budget figure. */
function taskWrites(requests: RequestCounts, n: number) {
  const t = writes(requests, isTask);
  const creates = t.writes["tasks.kubatch.dev POST"] ?? 0;
  const all = writes(requests);
  return {
    perTask: perTask(t, n),
    /** Writes to the Task after its creation (assignment, status), per task: the DESIGN budget is 3. */
    afterCreatePerTask: round((t.total - creates) / n, 2),
    conflicts: t.conflicts,
    /** Every write to the API server in the phase, per task (job/pool status, events, leases…). */
    allWritesPerTask: round(all.total / n, 2),
    allWrites: all.writes,
  };
}

// 1. The bare create rate: tasks for a job whose pool has no nodes, so nothing runs.
export async function createRate(env: Env, n: number) {
  env.log(`create rate: ${n} tasks into a job on pool ${env.emptyPool} (no nodes), 32 in flight`);
  const job = `sink-${env.run}`;
  await createObject(env, "Job", job, { poolInfo: { poolId: env.emptyPool } });
  // Warm-up (not measured): connections, the API server's schema and CEL caches, the JIT.
  await createTasks(env, 50, (i) => ({ name: `${job}-warmup-${i}`, spec: { jobName: job, commandLine: "/bin/true" } }), { [phaseLabel]: "sink" });
  const meter = new Meter(env);
  await meter.start();
  const created = await createTasks(env, n, (i) => ({ name: `${job}-${i}`, spec: { jobName: job, commandLine: "/bin/true" } }), { [phaseLabel]: "sink" });
  await sleep(1_500);
  const m = await meter.stop();
  env.log(`  ${created.perSecond} creates/s`);
  // The same from a client that keeps its connections (one TLS handshake, not one per create).
  const pooledKc = new PooledKubeConfig();
  pooledKc.loadFromFile(env.kubeconfig);
  const pooled = makeBench(pooledKc, env.namespace, env.log);
  await createTasks(pooled, 50, (i) => ({ name: `${job}-kwarmup-${i}`, spec: { jobName: job, commandLine: "/bin/true" } }), { [phaseLabel]: "sink" });
  const meter2 = new Meter(env);
  await meter2.start();
  const keptAlive = await createTasks(pooled, n, (i) => ({ name: `${job}-k${i}`, spec: { jobName: job, commandLine: "/bin/true" } }), { [phaseLabel]: "sink" });
  await sleep(1_500);
  const m2 = await meter2.stop();
  env.log(`  ${keptAlive.perSecond} creates/s with kept-alive connections`);
  const connections = await compareConnectionReuse(env.kubeconfig, 400, 8);
  await deleteTasks(env, "sink");
  return { ...created, writes: taskWrites(m.requests, n), cpu: m.cpu, keptAlive: { ...keptAlive, cpu: m2.cpu }, connectionReuse: connections };
}

type Run = { n: number; seconds: number; perSecond: number; firstCompletedSeconds?: number; create?: CreateResult };

// 2a. kubatch end to end: create n no-op tasks from one client while the warm pool runs them.
export async function kubatchThroughput(env: Env, n: number) {
  env.log(`kubatch throughput: ${n} × /bin/true on ${env.warmPool}, created by one client (32 in flight)`);
  const job = `tp-${env.run}`;
  await createObject(env, "Job", job, { poolInfo: { poolId: env.warmPool } });
  const tracker = new TaskTracker(env, "tp");
  await tracker.start();
  const meter = new Meter(env);
  await meter.start();
  const t0 = nowMs();
  try {
    const [create] = await Promise.all([
      createTasks(env, n, (i) => ({ name: `${job}-${i}`, spec: { jobName: job, commandLine: "/bin/true" } }), { [phaseLabel]: "tp" }),
      tracker.waitCompleted(n, Math.min(env.left(), 600_000), env.log),
    ]);
    const seconds = (tracker.lastCompletedAt - t0) / 1000;
    await sleep(2_000);
    const m = await meter.stop();
    const run: Run = { n, seconds: round(seconds, 2), perSecond: round(n / seconds), create };
    env.log(`  ${run.perSecond} tasks/s (${run.seconds} s; creates took ${create.seconds} s)`);
    return { ...run, failed: failures(tracker), writes: taskWrites(m.requests, n), cpu: m.cpu };
  } finally {
    await tracker.stop();
    await deleteTasks(env, "tp");
  }
}

/** The image of the Pod-mode tasks: the local cluster's busybox (local-cluster/images). */
export const podModeImage = localImages.busybox;

// 2c. Pod mode: the same n × /bin/true as container tasks (spec.containerSettings), so each
// task runs as its own Pod made by the operator, created by one client (32 in flight) like tp.
// No slot limit applies to container tasks: every Pod is created at once and the node runs
// what kube-scheduler binds (the local node allows 110 pods).
export async function podModeThroughput(env: Env, n: number) {
  env.log(`kubatch Pod mode: ${n} container tasks (${podModeImage}, /bin/true), one Pod each, created by one client (32 in flight)`);
  const job = `pod-${env.run}`;
  await createObject(env, "Job", job, { poolInfo: { poolId: env.warmPool } });
  const tracker = new TaskTracker(env, "pod");
  await tracker.start();
  const meter = new Meter(env);
  await meter.start();
  const t0 = nowMs();
  // Leaves two minutes of the budget for deleting the tasks and their Pods.
  const waitMs = Math.max(30_000, Math.min(env.left() - 120_000, 600_000));
  let timedOut = false;
  try {
    const [create] = await Promise.all([
      createTasks(env, n, (i) => ({ name: `${job}-${i}`, spec: { jobName: job, commandLine: "/bin/true", containerSettings: { imageName: podModeImage } } }), { [phaseLabel]: "pod" }),
      tracker.waitCompleted(n, waitMs, env.log).catch((err: unknown) => {
        timedOut = true;
        env.log(`  stopped waiting: ${err instanceof Error ? err.message : String(err)}`);
      }),
    ]);
    const done = tracker.completedCount;
    const seconds = ((timedOut ? nowMs() : tracker.lastCompletedAt) - t0) / 1000;
    await sleep(2_000);
    const m = await meter.stop();
    const podWrites = writes(m.requests, (r) => r === "pods" || r.startsWith("pods/"));
    const first = Math.min(...[...tracker.seen.values()].map((x) => x.completed ?? Infinity));
    const run: Run = { n, seconds: round(seconds, 2), perSecond: round(done / seconds), firstCompletedSeconds: Number.isFinite(first) ? round((first - t0) / 1000, 2) : undefined, create };
    env.log(`  ${run.perSecond} tasks/s (${run.seconds} s; first Completed at ${run.firstCompletedSeconds ?? "—"} s; creates took ${create.seconds} s${timedOut ? `; timed out at ${done}/${n}` : ""})`);
    return {
      ...run,
      image: podModeImage,
      completed: done,
      timedOut,
      failed: failures(tracker),
      writes: taskWrites(m.requests, n),
      /** Writes to Pods (create, binding, status, delete…) per container task. */
      podWritesPerTask: { ...perTask(podWrites, n), total: round(podWrites.total / n, 2) },
      cpu: m.cpu,
      podCleanupSeconds: await deleteContainerTasks(env, job),
    };
  } finally {
    await tracker.stop();
  }
}

/** Deletes the pod phase's tasks, then waits (bounded by the budget) until their Pods are gone too; seconds, or -1. */
async function deleteContainerTasks(env: Env, job: string): Promise<number> {
  const c0 = Date.now();
  const bound = Math.max(30_000, Math.min(env.left() - 60_000, 300_000));
  try {
    await deleteTasks(env, "pod", bound);
    // The garbage collector deletes the Pods the tasks own; the next phase starts from an idle node.
    await until("the container tasks' Pods to be deleted", Math.max(10_000, bound - (Date.now() - c0)), 1_000, async () => {
      const pods = await env.core.listNamespacedPod({ namespace: env.namespace, labelSelector: `${containerPodJobLabel}=${job}`, limit: 1 });
      return pods.items.length === 0 ? true : undefined;
    });
    return round((Date.now() - c0) / 1000);
  } catch (err) {
    env.log(`  ${String(err)}`);
    return -1;
  }
}

// 2b. Dispatch alone: n tasks already created in a disabled job, then the job is enabled.
export async function dispatchThroughput(env: Env, n: number) {
  env.log(`kubatch dispatch only: ${n} × /bin/true created in a disabled job, then the job is enabled`);
  const job = `dp-${env.run}`;
  await createObject(env, "Job", job, { poolInfo: { poolId: env.warmPool }, disabled: true });
  await createTasks(env, n, (i) => ({ name: `${job}-${i}`, spec: { jobName: job, commandLine: "/bin/true" } }), { [phaseLabel]: "dp" });
  const tracker = new TaskTracker(env, "dp");
  await tracker.start();
  await sleep(2_000); // the operator has seen them all
  const meter = new Meter(env);
  await meter.start();
  const t0 = nowMs();
  try {
    await env.custom.patchNamespacedCustomObject(
      { group, version, namespace: env.namespace, plural: "jobs", name: job, body: { spec: { disabled: false } } },
      mergePatch,
    );
    await tracker.waitCompleted(n, Math.min(env.left(), 600_000), env.log);
    const seconds = (tracker.lastCompletedAt - t0) / 1000;
    await sleep(2_000);
    const m = await meter.stop();
    env.log(`  ${round(n / seconds)} tasks/s (${round(seconds, 2)} s)`);
    return { n, seconds: round(seconds, 2), perSecond: round(n / seconds), failed: failures(tracker), writes: taskWrites(m.requests, n), cpu: m.cpu };
  } finally {
    await tracker.stop();
    await deleteTasks(env, "dp");
  }
}

/** Tasks seen Completed with a result other than Success (a task not completed yet is not counted). */
function failures(tracker: TaskTracker): number {
  let failed = 0;
  for (const s of tracker.seen.values()) if (s.completed !== undefined && s.obj?.status?.executionInfo?.result !== "Success") failed++;
  return failed;
}

// 1b. The same n as one batch/v1 Indexed Job: one pod per index, parallelism = the pool's slots.
export async function indexedJob(env: Env, n: number, parallelism: number) {
  env.log(`batch/v1 Indexed Job: ${n} completions of /bin/true, parallelism ${parallelism}, one pod per index`);
  const name = `tp-pods-${env.run}`;
  const body: V1Job = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name },
    spec: {
      completionMode: "Indexed",
      completions: n,
      parallelism,
      backoffLimit: n,
      template: {
        metadata: { labels: { [phaseLabel]: "pods" } },
        spec: { restartPolicy: "Never", terminationGracePeriodSeconds: 1, containers: [{ name: "task", image: podModeImage, imagePullPolicy: "IfNotPresent", command: ["/bin/true"] }] },
      },
    },
  };
  const meter = new Meter(env);
  await meter.start();
  const t0 = nowMs();
  await env.batch.createNamespacedJob({ namespace: env.namespace, body });
  let firstDone: number | undefined;
  let status: V1Job["status"];
  let timedOut = false;
  let lastReport = Date.now();
  const deadline = Date.now() + Math.min(env.left() - 120_000, 900_000);
  for (;;) {
    status = (await env.batch.readNamespacedJobStatus({ name, namespace: env.namespace })).status;
    const done = (status?.succeeded ?? 0) + (status?.failed ?? 0);
    if (done > 0 && firstDone === undefined) firstDone = nowMs();
    if (done >= n) break;
    if (Date.now() > deadline) {
      timedOut = true;
      break;
    }
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      env.log(`  ${done}/${n} pods done`);
    }
    await sleep(200);
  }
  const t1 = nowMs();
  const done = (status?.succeeded ?? 0) + (status?.failed ?? 0);
  const seconds = (t1 - t0) / 1000;
  await sleep(2_000);
  const m = await meter.stop();
  const all = writes(m.requests);
  const result = {
    n,
    parallelism,
    completed: done,
    failed: status?.failed ?? 0,
    timedOut,
    seconds: round(seconds, 2),
    perSecond: round(done / seconds),
    allWritesPerTask: round(all.total / Math.max(done, 1), 2),
    allWrites: all.writes,
    cpu: m.cpu,
  };
  env.log(`  ${result.perSecond} pods/s (${result.seconds} s${timedOut ? `, timed out at ${done}/${n}` : ""})`);
  // Remove the Job and its pods before the next phase, so the node is idle again.
  const c0 = Date.now();
  await env.batch.deleteNamespacedJob({ name, namespace: env.namespace, propagationPolicy: "Background" });
  const cleanup = await until("the Job's pods to be deleted", Math.max(30_000, Math.min(env.left() - 60_000, 300_000)), 1_000, async () => {
    const pods = await env.core.listNamespacedPod({ namespace: env.namespace, labelSelector: `${phaseLabel}=pods`, limit: 1 });
    return pods.items.length === 0 ? true : undefined;
  }).then(
    () => round((Date.now() - c0) / 1000),
    (err: unknown) => (env.log(`  ${String(err)}`), -1),
  );
  return { ...result, podCleanupSeconds: cleanup };
}

// 3. Latency on an idle warm pool: tasks arrive one at a time at a steady rate.
export async function latency(env: Env, count: number, perSecond: number) {
  env.log(`latency: ${count} tasks at ${perSecond}/s on an idle ${env.warmPool}; each runs /bin/date +%s%N`);
  const job = `lat-${env.run}`;
  await createObject(env, "Job", job, { poolInfo: { poolId: env.warmPool } });
  const tracker = new TaskTracker(env, "lat");
  await tracker.start();
  const sent = new Map<string, number>();
  const answered = new Map<string, number>();
  const meter = new Meter(env);
  await meter.start();
  try {
    const { late } = await createAtRate(env, count, perSecond, (i) => ({ name: `${job}-${i}`, spec: { jobName: job, commandLine: "/bin/date +%s%N" } }), { [phaseLabel]: "lat" }, (name, at) => sent.set(name, at), 16, (name, at) => answered.set(name, at));
    await tracker.waitCompleted(count, Math.min(env.left(), 120_000), env.log);
    await sleep(1_000);
    const m = await meter.stop();
    const toAssigned: number[] = [];
    const toStart: number[] = [];
    const toAgentStart: number[] = [];
    const toCompleted: number[] = [];
    const assignedToStart: number[] = [];
    const createCall: number[] = [];
    let unparsed = 0;
    for (const [name, at] of sent) {
      const s = tracker.seen.get(name);
      if (!s?.completed) continue;
      toCompleted.push(s.completed - at);
      const ack = answered.get(name);
      if (ack !== undefined) createCall.push(ack - at);
      if (s.assigned !== undefined) toAssigned.push(s.assigned - at);
      const info = s.obj?.status?.executionInfo;
      if (info?.startTime) toAgentStart.push(Date.parse(String(info.startTime)) - at);
      const ns = /^(\d{19})\s*$/.exec(s.obj?.status?.stdoutTail ?? "")?.[1];
      if (ns) {
        const startMs = Number(BigInt(ns) / 1000n) / 1000;
        toStart.push(startMs - at);
        if (s.assigned !== undefined) assignedToStart.push(startMs - s.assigned);
      } else unparsed++;
    }
    const result = {
      count,
      perSecond,
      lateSends: late,
      unparsedOutputs: unparsed,
      /** create request sent → the task's process ran `date` (its own clock reading). */
      createToProcessStart: percentiles(toStart),
      /** The create call itself (this client's request, a new TLS connection each, until the API server answered). */
      createCall: percentiles(createCall),
      /** create request sent → Completed seen by this client's watch. */
      createToCompleted: percentiles(toCompleted),
      /** create request sent → the assignment (node label) seen by this client's watch. */
      createToAssignedSeen: percentiles(toAssigned),
      /** create request sent → executionInfo.startTime written by the agent (ms resolution). */
      createToAgentStartTime: percentiles(toAgentStart),
      /** assignment seen by this client → process start (agent watch delivery + spawn; includes this client's watch delay with a minus sign). */
      assignedSeenToProcessStart: percentiles(assignedToStart),
      writes: taskWrites(m.requests, count),
      cpu: m.cpu,
    };
    env.log(`  create→process start p50 ${result.createToProcessStart.p50} ms, p99 ${result.createToProcessStart.p99} ms; create→Completed p50 ${result.createToCompleted.p50} ms`);
    return result;
  } finally {
    await tracker.stop();
    await deleteTasks(env, "lat");
  }
}

// 4. Scale: many tasks in one job; the operator's memory and CPU, the largest object, drain time.
export async function scale(env: Env, n: number) {
  env.log(`scale: ${n} × /bin/true in one job on ${env.warmPool}`);
  const job = `scale-${env.run}`;
  await createObject(env, "Job", job, { poolInfo: { poolId: env.warmPool } });
  const operator = new ProcSampler(env.operatorPid());
  const meter = new Meter(env);
  await meter.start();
  const t0 = nowMs();
  const sizes = { jobMax: 0, poolMax: 0 };
  let completed = 0;
  let polling = true;
  let lastPool = 0;
  const poll = async () => {
    const obj = await getObject<{ status?: { taskCounts?: { completed?: number } } }>(env, "jobs", job);
    sizes.jobMax = Math.max(sizes.jobMax, JSON.stringify(obj).length);
    completed = obj.status?.taskCounts?.completed ?? 0;
    if (Date.now() - lastPool > 5_000) {
      lastPool = Date.now();
      sizes.poolMax = Math.max(sizes.poolMax, JSON.stringify(await getObject(env, "pools", env.warmPool)).length);
    }
  };
  const poller = (async () => {
    while (polling) {
      await poll().catch(() => undefined);
      await sleep(1_000);
    }
  })();
  let create: CreateResult | undefined;
  let timedOut = false;
  let drainedAt = 0;
  try {
    create = await createTasks(env, n, (i) => ({ name: `${job}-${i}`, spec: { jobName: job, commandLine: "/bin/true" } }), { [phaseLabel]: "scale" });
    env.log(`  created ${n} in ${create.seconds} s (${create.perSecond}/s); ${completed} completed so far`);
    const deadline = Date.now() + Math.max(30_000, env.left() - 90_000);
    let lastReport = Date.now();
    while (completed < n) {
      if (Date.now() > deadline) {
        timedOut = true;
        break;
      }
      if (Date.now() - lastReport > 15_000) {
        lastReport = Date.now();
        const r = operator.peek();
        env.log(`  ${completed}/${n} completed; operator RSS ${r?.rssMiB ?? "?"} MiB`);
      }
      await sleep(250);
    }
    drainedAt = nowMs();
  } finally {
    polling = false;
    await poller;
  }
  await poll();
  await sleep(2_000);
  const m = await meter.stop();
  const op: ProcSummary = operator.stop();
  const largest = await largestObjects(env, "scale", job);
  const seconds = (drainedAt - t0) / 1000;
  const result = {
    n,
    completed,
    timedOut,
    create,
    drainSeconds: round(seconds, 1),
    perSecond: round(completed / seconds),
    operator: op,
    largestObjectBytes: { ...largest, jobDuringRun: sizes.jobMax, poolDuringRun: sizes.poolMax },
    writes: taskWrites(m.requests, n),
    cpu: m.cpu,
  };
  env.log(`  drained ${completed}/${n} in ${result.drainSeconds} s; operator RSS peak ${op.rssPeakMiB} MiB, ${op.cpuSeconds} CPU s`);
  // The tasks stay: the scale phase comes last and the cluster goes down with them.
  return result;
}

/** JSON sizes of the pool, the job, its node Deployment and the largest task (paged list). */
async function largestObjects(env: Env, phase: string, jobName: string) {
  const pool = JSON.stringify(await getObject(env, "pools", env.warmPool)).length;
  const job = JSON.stringify(await getObject(env, "jobs", jobName)).length;
  let task = 0;
  let taskName = "";
  let cont: string | undefined;
  for (let page = 0; page < 1_000; page++) {
    const list = (await env.custom.listNamespacedCustomObject({ group, version, namespace: env.namespace, plural: "tasks", labelSelector: `${phaseLabel}=${phase}`, limit: 500, _continue: cont })) as {
      items: { metadata: { name: string } }[];
      metadata?: { continue?: string };
    };
    for (const t of list.items) {
      const size = JSON.stringify(t).length;
      if (size > task) [task, taskName] = [size, t.metadata.name];
    }
    cont = list.metadata?.continue;
    if (!cont) break;
  }
  const deployments = await env.custom.listNamespacedCustomObject({ group: "apps", version: "v1", namespace: env.namespace, plural: "deployments" }).catch(() => undefined) as { items?: object[] } | undefined;
  const deployment = Math.max(0, ...(deployments?.items ?? []).map((d) => JSON.stringify(d).length));
  return { pool, job, task, taskName, deployment };
}

// 1c. Pod start on the node: m pods one after another (busybox `sleep`), each from its create
// call until the kubelet reports it Running (sandbox, CNI, container), polled every 20 ms.
export async function podStart(env: Env, m: number) {
  env.log(`pod start: ${m} pods one at a time, create → Running`);
  const ms: number[] = [];
  for (let i = 0; i < m && env.left() > 90_000; i++) {
    const name = `podstart-${env.run}-${i}`;
    const t0 = nowMs();
    await env.core.createNamespacedPod({
      namespace: env.namespace,
      body: {
        metadata: { name, labels: { [phaseLabel]: "podstart" } },
        spec: { restartPolicy: "Never", terminationGracePeriodSeconds: 0, containers: [{ name: "main", image: podModeImage, imagePullPolicy: "IfNotPresent", command: ["sleep", "3600"] }] },
      },
    });
    await until(`pod ${name} Running`, 60_000, 20, async () => ((await env.core.readNamespacedPod({ name, namespace: env.namespace })).status?.phase === "Running" ? true : undefined));
    ms.push(nowMs() - t0);
    await env.core.deleteNamespacedPod({ name, namespace: env.namespace, gracePeriodSeconds: 0 });
  }
  await until("the pod-start pods to be deleted", 120_000, 500, async () => ((await env.core.listNamespacedPod({ namespace: env.namespace, labelSelector: `${phaseLabel}=podstart`, limit: 1 })).items.length === 0 ? true : undefined));
  const result = { pods: ms.length, createToRunningMs: percentiles(ms) };
  env.log(`  create → Running p50 ${result.createToRunningMs.p50} ms, p99 ${result.createToRunningMs.p99} ms over ${ms.length} pods`);
  return result;
}

type CollectionObject = { metadata: { name: string }; status?: TaskCollectionStatus };

// 5. Task collections (issue 16): one job, one n-item collection of /bin/true on the warm pool,
// its chunks run by the node agents; next to it, the same command spawned bare by one process
// with the pool's slots as concurrency (the physical limit on this machine, same run).
export async function taskCollection(env: Env, n: number) {
  const load0 = loadavg()[0]!;
  const ceilingSpawns = Math.min(n, 10_000);
  env.log(`spawn ceiling: /bin/true spawned bare by one process, ${env.slots} at a time, ${ceilingSpawns} spawns or 30 s`);
  const ceiling = await spawnCeiling(["/bin/true"], env.slots, ceilingSpawns, 30_000);
  env.log(`  ${ceiling.perSecond} spawns/s (${ceiling.spawns} in ${round(ceiling.seconds, 2)} s, ${ceiling.failed} failed)`);

  env.log(`task collection: ${n} items of /bin/true in one job on ${env.warmPool} (${env.slots} slots)`);
  const job = `coll-${env.run}`;
  await createObject(env, "Job", job, { poolInfo: { poolId: env.warmPool } });
  const operator = new ProcSampler(env.operatorPid());
  const db0 = await etcdDbSize(env.etcdUrl);
  // The node pods are the bench namespace's only pods now (the warm pool's nodes).
  const nodeIds = new Set((await env.core.listNamespacedPod({ namespace: env.namespace })).items.map((p) => p.metadata?.name ?? ""));
  const node0 = nodeCpuSnapshot(nodeIds);
  const meter = new Meter(env);
  await meter.start();
  const t0 = nowMs();
  let status: TaskCollectionStatus | undefined;
  let timedOut = false;
  let doneAt = 0;
  try {
    await createObject(env, "TaskCollection", job, { jobName: job, source: { range: { start: 0, end: n - 1 } }, task: { commandLine: "/bin/true" } });
    // Leaves two minutes of the budget for reading the objects and deleting them.
    const deadline = Date.now() + Math.max(30_000, env.left() - 120_000);
    let lastReport = Date.now();
    for (;;) {
      status = (await getObject<CollectionObject>(env, "taskcollections", job).catch(() => undefined))?.status ?? status;
      if (status?.state === "Completed") break;
      if (Date.now() > deadline) {
        timedOut = true;
        break;
      }
      if (Date.now() - lastReport > 5_000) {
        lastReport = Date.now();
        const c = status?.counts;
        const done = (c?.succeeded ?? 0) + (c?.failed ?? 0);
        env.log(`  ${done}/${n} items done (${c?.running ?? 0} running, ${c?.failed ?? 0} failed), ${round(done / ((nowMs() - t0) / 1000))}/s; operator RSS ${operator.peek()?.rssMiB ?? "?"} MiB`);
      }
      await sleep(250);
    }
    doneAt = nowMs();
  } catch (err) {
    operator.stop();
    await deleteCollection(env, job);
    throw err;
  }
  await sleep(2_000);
  const m = await meter.stop();
  const nodeCpu = nodeCpuUse(node0, nodeCpuSnapshot(nodeIds));
  const op = operator.stop();
  const db1 = await etcdDbSize(env.etcdUrl);
  const largest = await collectionObjectSizes(env, job);
  const seconds = (doneAt - t0) / 1000;
  const c = status?.counts;
  const completed = (c?.succeeded ?? 0) + (c?.failed ?? 0);
  const all = writes(m.requests);
  const perSecond = round(completed / seconds);
  const result = {
    tasks: n,
    completed,
    failed: c?.failed ?? 0,
    timedOut,
    seconds: round(seconds, 2),
    perSecond,
    /** The collection's own clock: its status.startTime (first item started) → endTime (last completed). */
    statusSeconds: status?.startTime && status.endTime ? round((Date.parse(String(status.endTime)) - Date.parse(String(status.startTime))) / 1000, 2) : undefined,
    spawnCeilingPerSecond: ceiling.perSecond,
    spawnCeiling: ceiling,
    ofSpawnCeiling: ceiling.perSecond > 0 ? round(perSecond / ceiling.perSecond, 2) : undefined,
    apiWritesPerTask: round(all.total / n, 4),
    apiWrites: all.writes,
    conflicts: all.conflicts,
    operatorRssPeakMiB: op.rssPeakMiB,
    operator: op,
    largestObjectBytes: largest.max,
    objectBytes: largest,
    etcdDbGrowthMiB: dbGrowth(db0, db1).growthMiB,
    etcdDb: dbGrowth(db0, db1),
    cpu: m.cpu,
    /** CPU milliseconds per item by component (the items' own processes are not in it). */
    cpuMsPerItem: Object.fromEntries(Object.entries(m.cpu.components).map(([k, v]) => [k, round((v * 1000) / Math.max(completed, 1), 3)])),
    /** The node pods' agents and runners (in containers, not in cpu above), and the item processes the runners waited for. */
    nodeCpu,
    nodeCpuMsPerItem: {
      agent: round((nodeCpu.agentSeconds * 1000) / Math.max(completed, 1), 3),
      runner: round((nodeCpu.runnerSeconds * 1000) / Math.max(completed, 1), 3),
      itemProcess: round((nodeCpu.itemProcessSeconds * 1000) / Math.max(completed, 1), 3),
    },
    /** The machine's 1-minute load average before the spawn ceiling and after the items: other work on it shows here. */
    loadAverage: { start: round(load0, 2), end: round(loadavg()[0]!, 2) },
    cleanupSeconds: await deleteCollection(env, job),
  };
  env.log(`  ${completed}/${n} items in ${result.seconds} s (${perSecond}/s, ${result.ofSpawnCeiling ?? "?"}× the spawn ceiling${timedOut ? ", TIMED OUT" : ""}); ${result.apiWritesPerTask} API writes/item; operator RSS peak ${op.rssPeakMiB} MiB; largest object ${largest.max} B; etcd +${result.etcdDbGrowthMiB} MiB`);
  return result;
}

/** JSON sizes of the collection, its largest chunk (paged list) and its job, as read now. */
async function collectionObjectSizes(env: Env, name: string) {
  const collection = JSON.stringify(await getObject(env, "taskcollections", name)).length;
  const job = JSON.stringify(await getObject(env, "jobs", name)).length;
  let chunk = 0;
  let chunks = 0;
  let cont: string | undefined;
  for (let page = 0; page < 1_000; page++) {
    const list = (await env.custom.listNamespacedCustomObject({ group, version, namespace: env.namespace, plural: "collectionchunks", limit: 500, _continue: cont })) as {
      items: { spec?: { collectionName?: string } }[];
      metadata?: { continue?: string };
    };
    for (const c of list.items) {
      if (c.spec?.collectionName !== name) continue;
      chunks++;
      chunk = Math.max(chunk, JSON.stringify(c).length);
    }
    cont = list.metadata?.continue;
    if (!cont) break;
  }
  return { max: Math.max(collection, job, chunk), collection, chunk, chunks, job };
}

/** Deletes the collection and its job, then waits (bounded by the budget) until its chunks are gone too; seconds, or -1. */
async function deleteCollection(env: Env, name: string): Promise<number> {
  const c0 = Date.now();
  const gone = (err: unknown) => {
    if ((err as { code?: number }).code !== 404) throw err;
  };
  try {
    await env.custom.deleteNamespacedCustomObject({ group, version, namespace: env.namespace, plural: "taskcollections", name }).catch(gone);
    await env.custom.deleteNamespacedCustomObject({ group, version, namespace: env.namespace, plural: "jobs", name }).catch(gone);
    await until("the collection's chunks to be deleted", Math.max(30_000, Math.min(env.left() - 60_000, 300_000)), 1_000, async () => {
      const list = (await env.custom.listNamespacedCustomObject({ group, version, namespace: env.namespace, plural: "collectionchunks", limit: 1 })) as { items: unknown[] };
      return list.items.length === 0 ? true : undefined;
    });
    return round((Date.now() - c0) / 1000);
  } catch (err) {
    env.log(`  ${String(err)}`);
    return -1;
  }
}
