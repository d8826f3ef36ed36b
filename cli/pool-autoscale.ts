// `kubatch pool autoscale POOL [--formula F]`: a dry run of an autoscale formula against the
// pool as it is now (Azure Batch's "evaluate autoscale"): nothing is applied.
import { GROUP, VERSION } from "../api/group.ts";
import { poolIdOf } from "../api/pool-id.ts";
import type { JobObject, PoolObject, TaskObject } from "../kube/objects.ts";
import { evaluateFormula } from "../operator/src/autoscale/index.ts";
import { apiMessage, connect, statusCode, type Cluster } from "./kube.ts";
import { clusterOptions, clusterOptionsHelp, CliError, parseCommandLine, positionalArgs } from "./usage.ts";

export const poolAutoscaleHelp = `usage: kubatch pool autoscale POOL [--formula FORMULA] [options]

Evaluates the pool's autoScaleFormula (or --formula) against the pool as it is now and
prints the result string or the error with its line and column; nothing is applied.
The samples are the queue as it stands now — one sample of $ActiveTasks, $RunningTasks,
$PendingTasks and $SampleNodeCount — so formulas that ask for history (GetSample over a
time window, GetSamplePercent) report InsufficientSampleData, as a young pool in Azure
Batch does. The operator keeps the real history; status.autoScaleRun shows its last run.

      --formula F    a formula to try instead of the pool's own
${clusterOptionsHelp}`;


async function queue(c: Cluster, pool: string): Promise<{ active: number; running: number }> {
  const jobs = (await c.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: c.namespace, plural: "jobs" })) as { items: JobObject[] };
  const ofPool = new Set(jobs.items.filter((j) => poolIdOf(j) === pool).map((j) => j.metadata?.name));
  const tasks = (await c.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: c.namespace, plural: "tasks" })) as { items: TaskObject[] };
  let active = 0;
  let running = 0;
  for (const t of tasks.items) {
    if (!ofPool.has(t.spec?.jobName ?? t.spec?.jobId ?? "")) continue;
    const state = t.status?.state ?? "Active";
    if (state === "Running" || state === "Preparing") running++;
    else if (state === "Active") active++;
  }
  return { active, running };
}

export async function poolAutoscale(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({ args: argv, allowPositionals: true, options: { ...clusterOptions, formula: { type: "string" } } });
  const [name] = positionalArgs(positionals, ["POOL"]) as [string];
  const c = connect(values);
  let pool: PoolObject;
  try {
    pool = (await c.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: c.namespace, plural: "pools", name })) as PoolObject;
  } catch (err) {
    throw new CliError(statusCode(err) === 404 ? `pool "${name}" not found in namespace "${c.namespace}"` : `reading pool "${name}": ${apiMessage(err)}`);
  }
  const formula = values.formula ?? pool.spec?.autoScaleFormula;
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
