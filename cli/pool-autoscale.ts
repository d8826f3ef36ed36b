// `kubatch pool autoscale POOL [--formula F]`: a dry run of an autoscale formula against the
// pool as it is now (Azure Batch's "evaluate autoscale"): nothing is applied. With
// `--samples FILE` it needs no cluster: the file is the pool and its sample history.
import { GROUP, VERSION } from "../api/group.ts";
import { nodeLabel } from "../api/labels.ts";
import { poolIdOf } from "../api/pool-id.ts";
import type { JobObject, PoolObject, TaskObject } from "../kube/objects.ts";
import { evaluateFormula, type EvaluationResult } from "../operator/src/autoscale/index.ts";
import { readAutoscaleInputs } from "./autoscale-inputs.ts";
import { collectionItemCounts } from "./collection-rows.ts";
import { apiMessage, collectionJob, connect, listCollections, statusCode, type Cluster } from "./kube.ts";
import { clusterOptions, clusterOptionsHelp, CliError, parseCommandLine, positionalArgs, readOptionFile, UsageError } from "./usage.ts";
import { jobNameOf } from "../api/job-name.ts";

export const poolAutoscaleHelp = `usage: kubatch pool autoscale POOL [--formula FORMULA] [options]
       kubatch pool autoscale --formula FORMULA --samples FILE [--time T]

Evaluates the pool's autoScaleFormula (or --formula) against the pool as it is now and
prints the result string or the error with its line and column; nothing is applied.
The samples are the queue as it stands now — one sample of $ActiveTasks, $RunningTasks,
$PendingTasks and $SampleNodeCount — so formulas that ask for history (GetSample over a
time window, GetSamplePercent) report InsufficientSampleData, as a young pool in Azure
Batch does. The operator keeps the real history; status.autoScaleRun shows its last run.

Offline, with --samples, no cluster is asked: FILE (JSON) is the pool and its history:
  { "samples": { "$ActiveTasks": [{ "timestamp": "2024-05-01T09:29:30Z", "value": 12 }, …], … },
    "currentDedicatedNodes": 2, "targetDedicatedNodes": 2, "taskSlotsPerNode": 4,
    "currentLowPriorityNodes", "targetLowPriorityNodes", "usableNodeCount",
    "nodeDeallocationOption", "samplePeriodSeconds": 30 }   (every field optional)

      --formula F    a formula to try instead of the pool's own; @PATH reads it from a file
      --samples FILE evaluate offline against FILE's pool and sample history
      --time T       offline: the evaluation time, e.g. 2024-05-01T09:30:00Z (default: now)
${clusterOptionsHelp}`;

/** `--formula`'s text: as given, or the file an `@PATH` names (as the az CLI reads parameters). */
function formulaText(value: string): string {
  return value.startsWith("@") ? readOptionFile(`--formula ${value}`, value.slice(1)) : value;
}

/** Prints the result string and what would be applied (exit 0), or Azure's error with its line and column (exit 1). */
function report(result: EvaluationResult): number {
  if (result.ok) {
    console.log(result.results);
    console.log(`→ would set ${result.targets.dedicated} dedicated and ${result.targets.lowPriority} low-priority nodes (${result.nodeDeallocationOption})`);
    for (const line of result.capped) console.error(`warning: ${line}`);
    return 0;
  }
  console.error(`${result.error.code}: ${result.error.message}`);
  for (const v of result.error.values) console.error(`  ${v.name}: ${v.value}`);
  return 1;
}


/**
 * The pool's queue as the operator samples it, from the objects: its jobs' tasks (container
 * tasks included) and task collections' items; a task assigned to a node is running, and a job
 * not Active (disabled, ending) has no active tasks. (The operator counts a running chunk as
 * one running item; here a collection's running count is its items'.)
 */
async function queue(c: Cluster, pool: string): Promise<{ active: number; running: number }> {
  const jobs = (await c.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: c.namespace, plural: "jobs" })) as { items: JobObject[] };
  const ofPool = new Set(jobs.items.filter((j) => poolIdOf(j) === pool).map((j) => j.metadata?.name));
  const schedulable = new Set(jobs.items.filter((j) => poolIdOf(j) === pool && (j.status?.state ?? "Active") === "Active").map((j) => j.metadata?.name));
  const items = collectionItemCounts((await listCollections(c)).filter((tc) => ofPool.has(collectionJob(tc))));
  const tasks = (await c.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: c.namespace, plural: "tasks" })) as { items: TaskObject[] };
  let active = items.active;
  let running = items.running;
  for (const t of tasks.items) {
    const job = jobNameOf(t.spec) ?? "";
    if (!ofPool.has(job)) continue;
    const state = t.status?.state ?? "Active";
    if (state === "Running" || state === "Preparing" || (state === "Active" && t.metadata?.labels?.[nodeLabel])) running++;
    else if (state === "Active" && schedulable.has(job)) active++;
  }
  return { active, running };
}

export async function poolAutoscale(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({
    args: argv,
    allowPositionals: true,
    options: { ...clusterOptions, formula: { type: "string" }, samples: { type: "string" }, time: { type: "string" } },
  });
  if (values.samples !== undefined) {
    if (positionals.length > 0) throw new UsageError(`--samples evaluates offline, without a pool: drop "${positionals[0]}", or drop --samples to ask the cluster`);
    if (values.formula === undefined) throw new UsageError("--samples needs --formula (there is no pool to read one from)");
    return report(evaluateFormula(formulaText(values.formula), readAutoscaleInputs(values.samples, values.time)));
  }
  if (values.time !== undefined) throw new UsageError("--time is for offline evaluation (--samples): against a pool the time is now");
  const [name] = positionalArgs(positionals, ["POOL"]) as [string];
  const c = connect(values);
  let pool: PoolObject;
  try {
    pool = (await c.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: c.namespace, plural: "pools", name })) as PoolObject;
  } catch (err) {
    throw new CliError(statusCode(err) === 404 ? `pool "${name}" not found in namespace "${c.namespace}"` : `reading pool "${name}": ${apiMessage(err)}`);
  }
  const formula = values.formula === undefined ? pool.spec?.autoScaleFormula : formulaText(values.formula);
  if (!formula) throw new CliError(`pool "${name}" has no autoScaleFormula: pass --formula`);
  const { active, running } = await queue(c, name);
  const status = pool.status ?? {};
  const now = Date.now();
  const one = (value: number) => [{ timestamp: now, value }];
  const result = evaluateFormula(formula, {
    now,
    samples: { $ActiveTasks: one(active), $RunningTasks: one(running), $PendingTasks: one(active + running), $SampleNodeCount: one(status.nodeCounts?.total ?? 0) },
    currentDedicatedNodes: status.currentDedicatedNodes ?? 0,
    currentLowPriorityNodes: status.currentLowPriorityNodes ?? 0,
    targetDedicatedNodes: status.targetDedicatedNodes ?? 0,
    targetLowPriorityNodes: status.targetLowPriorityNodes ?? 0,
    taskSlotsPerNode: pool.spec?.taskSlotsPerNode ?? 1,
    usableNodeCount: (status.nodeCounts?.idle ?? 0) + (status.nodeCounts?.running ?? 0),
  });
  console.log(`queue now: ${active} active, ${running} running tasks; ${status.currentDedicatedNodes ?? 0} dedicated nodes`);
  return report(result);
}
