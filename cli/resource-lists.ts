// `kubatch job list`, `kubatch pool list`, `kubatch workitem list` and `kubatch node list POOL`:
// the namespace's jobs, pools and work items, and a pool's nodes (Batch Explorer's node view),
// as tables or JSON. The rows are built by pure functions (resource-lists.test.ts).
import { poolIdOf } from "../api/pool-id.ts";
import type { JobObject, PoolObject, WorkItemObject } from "../kube/objects.ts";
import { connect, getPool, listJobs, listPools, listWorkItems } from "./kube.ts";
import { compareNames, formatElapsed, formatTable } from "./task-row.ts";
import { clusterOptions, clusterOptionsHelp, parseCommandLine, positionalArgs, UsageError } from "./usage.ts";

const outputHelp = "  -o, --output json  the rows as JSON";

export const jobListHelp = `usage: kubatch job list [-o json] [options]

Lists the jobs (jobs.kubatch.dev) of the namespace: state, pool, priority, task counts, age.

${outputHelp}
${clusterOptionsHelp}`;

export const poolListHelp = `usage: kubatch pool list [-o json] [options]

Lists the pools (pools.kubatch.dev) of the namespace: allocation state, nodes now and
targeted (dedicated and low-priority), idle and running nodes, task slots per node, age.

${outputHelp}
${clusterOptionsHelp}`;

export const nodeListHelp = `usage: kubatch node list POOL [-o json] [options]

Lists the nodes of pool POOL (its node pods, as the pool's status reports them): state,
scheduling (Enabled, or Disabled by \`kubatch node disable-scheduling\`), dedicated or low-priority, running tasks and slots in use, tasks run, the start task.

${outputHelp}
${clusterOptionsHelp}`;

export const workItemListHelp = `usage: kubatch workitem list [-o json] [options]

Lists the work items (workitems.kubatch.dev, Azure Batch job schedules) of the namespace:
state (Active, Disabled, Terminating, Completed, Deleting), next run, the most recent job, age.

${outputHelp}
${clusterOptionsHelp}`;

const age = (created: Date | string | undefined, now: number) => {
  const t = created === undefined ? NaN : new Date(created).getTime();
  return Number.isNaN(t) ? "" : formatElapsed(now - t);
};

export type JobRow = { name: string; state: string; pool: string; priority: number; active: number; running: number; succeeded: number; failed: number; age: string };

export function jobRow(job: JobObject, now: number): JobRow {
  const c = job.status?.taskCounts ?? {};
  return {
    name: job.metadata?.name ?? "",
    state: job.status?.state ?? "Active",
    pool: job.status?.executionInfo?.poolId ?? poolIdOf(job),
    priority: job.spec?.priority ?? 0,
    active: c.active ?? 0,
    running: c.running ?? 0,
    succeeded: c.succeeded ?? 0,
    failed: c.failed ?? 0,
    age: age(job.metadata?.creationTimestamp, now),
  };
}

export type WorkItemRow = { name: string; state: string; nextRun: string; recentJob: string; age: string };

export function workItemRow(wi: WorkItemObject, now: number): WorkItemRow {
  const info = wi.status?.executionInfo;
  return {
    name: wi.metadata?.name ?? "",
    state: wi.status?.state ?? "Active",
    nextRun: info?.nextRunTime ?? "",
    recentJob: info?.recentJob?.name ?? "",
    age: age(wi.metadata?.creationTimestamp, now),
  };
}

export type PoolRow = { name: string; state: string; dedicated: string; lowPriority: string; idle: number; running: number; slotsPerNode: number; age: string };

export function poolRow(pool: PoolObject, now: number): PoolRow {
  const s = pool.status ?? {};
  return {
    name: pool.metadata?.name ?? "",
    state: s.allocationState ?? "",
    dedicated: `${s.currentDedicatedNodes ?? 0}/${s.targetDedicatedNodes ?? 0}`,
    lowPriority: `${s.currentLowPriorityNodes ?? 0}/${s.targetLowPriorityNodes ?? 0}`,
    idle: s.nodeCounts?.idle ?? 0,
    running: s.nodeCounts?.running ?? 0,
    slotsPerNode: pool.spec?.taskSlotsPerNode ?? 1,
    age: age(pool.metadata?.creationTimestamp, now),
  };
}

export type NodeRow = { name: string; state: string; scheduling: string; dedicated: boolean; runningTasks: number; runningTaskSlots: number; totalTasksRun: number; totalTasksSucceeded: number; startTask: string };

export function nodeRows(pool: PoolObject): NodeRow[] {
  return (pool.status?.nodes ?? [])
    .map((n) => ({
      name: n.name,
      state: n.state,
      scheduling: n.schedulingState ?? "Enabled",
      dedicated: n.isDedicated ?? true,
      runningTasks: n.runningTasks ?? 0,
      runningTaskSlots: n.runningTaskSlots ?? 0,
      totalTasksRun: n.totalTasksRun ?? 0,
      totalTasksSucceeded: n.totalTasksSucceeded ?? 0,
      startTask: n.startTaskInfo ? `${n.startTaskInfo.state}${n.startTaskInfo.result ? ` (${n.startTaskInfo.result})` : ""}` : "",
    }))
    .sort((a, b) => compareNames(a.name, b.name));
}

function parse(argv: string[], positional: string[]) {
  const { values, positionals } = parseCommandLine({ args: argv, allowPositionals: positional.length > 0, options: { ...clusterOptions, output: { type: "string", short: "o" } } });
  if (values.output !== undefined && values.output !== "json") throw new UsageError(`--output: "${values.output}" is not json`);
  return { values, args: positional.length > 0 ? (positionalArgs(positionals, positional) as string[]) : [] };
}

function print<T extends Record<string, unknown>>(rows: T[], json: boolean, header: string[], cells: (r: T) => string[], none: string): void {
  if (json) console.log(JSON.stringify(rows, null, 2));
  else if (rows.length === 0) console.log(none);
  else console.log(formatTable(header, rows.map(cells)));
}

export async function jobList(argv: string[]): Promise<number> {
  const { values } = parse(argv, []);
  const cluster = connect(values);
  const now = Date.now();
  const rows = (await listJobs(cluster)).map((j) => jobRow(j, now)).sort((a, b) => compareNames(a.name, b.name));
  print(rows, values.output === "json", ["NAME", "STATE", "POOL", "PRIORITY", "ACTIVE", "RUNNING", "SUCCEEDED", "FAILED", "AGE"], (r) => [r.name, r.state, r.pool, String(r.priority), String(r.active), String(r.running), String(r.succeeded), String(r.failed), r.age], `no jobs in namespace ${cluster.namespace}`);
  return 0;
}

export async function workItemList(argv: string[]): Promise<number> {
  const { values } = parse(argv, []);
  const cluster = connect(values);
  const now = Date.now();
  const rows = (await listWorkItems(cluster)).map((w) => workItemRow(w, now)).sort((a, b) => compareNames(a.name, b.name));
  print(rows, values.output === "json", ["NAME", "STATE", "NEXT RUN", "RECENT JOB", "AGE"], (r) => [r.name, r.state, r.nextRun || "-", r.recentJob || "-", r.age], `no work items in namespace ${cluster.namespace}`);
  return 0;
}

export async function poolList(argv: string[]): Promise<number> {
  const { values } = parse(argv, []);
  const cluster = connect(values);
  const now = Date.now();
  const rows = (await listPools(cluster)).map((p) => poolRow(p, now)).sort((a, b) => compareNames(a.name, b.name));
  print(rows, values.output === "json", ["NAME", "STATE", "DEDICATED", "LOW-PRIORITY", "IDLE", "RUNNING", "SLOTS/NODE", "AGE"], (r) => [r.name, r.state, r.dedicated, r.lowPriority, String(r.idle), String(r.running), String(r.slotsPerNode), r.age], `no pools in namespace ${cluster.namespace}`);
  return 0;
}

export async function nodeList(argv: string[]): Promise<number> {
  const { values, args } = parse(argv, ["POOL"]);
  const cluster = connect(values);
  const rows = nodeRows(await getPool(cluster, args[0]!));
  print(rows, values.output === "json", ["NAME", "STATE", "SCHEDULING", "DEDICATED", "RUNNING TASKS", "SLOTS IN USE", "TASKS RUN", "SUCCEEDED", "START TASK"], (r) => [r.name, r.state, r.scheduling, String(r.dedicated), String(r.runningTasks), String(r.runningTaskSlots), String(r.totalTasksRun), String(r.totalTasksSucceeded), r.startTask], `no nodes in pool ${args[0]}`);
  return 0;
}
