// Published formulas (Azure Batch's documentation and tools built on it) on stated inputs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluateFormula, type FormulaInputs } from "./evaluate.ts";
import type { Sample } from "./samples.ts";

const now = Date.parse("2024-05-01T12:00:00.000Z"); // a Wednesday
const at = (iso: string) => Date.parse(iso);

/** `minutes` of samples every 30 s up to now, all `value`, or the given values (oldest first). */
function history(minutes: number, value: number | ((i: number) => number)): Sample[] {
  const n = minutes * 2;
  return Array.from({ length: n }, (_, i) => ({ timestamp: now - (n - 1 - i) * 30_000, value: typeof value === "number" ? value : value(i) }));
}

const TIME_OF_DAY = `$curTime = time(); $workHours = $curTime.hour >= 8 && $curTime.hour < 18; $isWeekday = $curTime.weekday >= 1 && $curTime.weekday <= 5; $isWorkingWeekdayHour = $workHours && $isWeekday; $TargetDedicatedNodes = $isWorkingWeekdayHour ? 20:10; $NodeDeallocationOption = taskcompletion;`;

const PENDING_TASKS = `$samples = $PendingTasks.GetSamplePercent(TimeInterval_Minute * 15); $tasks = $samples < 70 ? max(0, $PendingTasks.GetSample(1)) : max($PendingTasks.GetSample(1), avg($PendingTasks.GetSample(TimeInterval_Minute * 15))); $targetVMs = $tasks > 0 ? $tasks : max(0, $TargetDedicatedNodes / 2); $TargetDedicatedNodes = max(0, min($targetVMs, 25)); $NodeDeallocationOption = taskcompletion;`;

const TASK_BASED = `// Get pending tasks for the past 15 minutes.
$samples = $ActiveTasks.GetSamplePercent(TimeInterval_Minute * 15);
// If we have fewer than 70 percent data points, we use the last sample point, otherwise we use the maximum of last sample point and the history average.
$tasks = $samples < 70 ? max(0,$ActiveTasks.GetSample(1)) : max( $ActiveTasks.GetSample(1), avg($ActiveTasks.GetSample(TimeInterval_Minute * 15)));
// If number of pending tasks is not 0, set targetVM to pending tasks, otherwise half of current dedicated.
$targetVMs = $tasks > 0? $tasks:max(0, $TargetDedicatedNodes/2);
// The pool size is capped at 20, if target VM value is more than that, set it to 20.
$TargetDedicatedNodes = max(0, min($targetVMs, 20));
// Set node deallocation mode - keep nodes active only until tasks finish
$NodeDeallocationOption = taskcompletion;`;

const PARALLEL_TASKS = `// Determine whether 70 percent of the samples have been recorded in the past 15 minutes; if not, use last sample
$samples = $ActiveTasks.GetSamplePercent(TimeInterval_Minute * 15);
$tasks = $samples < 70 ? max(0,$ActiveTasks.GetSample(1)) : max( $ActiveTasks.GetSample(1),avg($ActiveTasks.GetSample(TimeInterval_Minute * 15)));
// Set the number of nodes to add to one-fourth the number of active tasks (four task slots per node)
$cores = $TargetDedicatedNodes * 4;
$extraVMs = (($tasks - $cores) + 3) / 4;
$targetVMs = ($TargetDedicatedNodes + $extraVMs);
// Attempt to grow the number of compute nodes to match the number of active tasks, with a maximum of 3
$TargetDedicatedNodes = max(0,min($targetVMs,3));
// Keep the nodes active until the tasks finish
$NodeDeallocationOption = taskcompletion;`;

const CPU = `$totalDedicatedNodes =
    (min($CPUPercent.GetSample(TimeInterval_Minute * 10)) > 0.7) ?
    ($CurrentDedicatedNodes * 1.1) : $CurrentDedicatedNodes;
$totalDedicatedNodes =
    (avg($CPUPercent.GetSample(TimeInterval_Minute * 60)) < 0.2) ?
    ($CurrentDedicatedNodes * 0.9) : $totalDedicatedNodes;
$TargetDedicatedNodes = min(400, $totalDedicatedNodes);`;

const PREEMPTED = `maxNumberofVMs = 25;
$TargetDedicatedNodes = min(maxNumberofVMs, $PreemptedNodeCount.GetSample(180 * TimeInterval_Second));
$TargetLowPriorityNodes = min(maxNumberofVMs , maxNumberofVMs - $TargetDedicatedNodes);
$NodeDeallocationOption = taskcompletion;`;

// The .NET sample "setting an initial pool size", with its placeholders filled (created at 11:55 or 10:00, 4 nodes).
const initialSize = (created: string) => `
    $TargetDedicatedNodes = 4;
    lifespan         = time() - time("${created}");
    span             = TimeInterval_Minute * 60;
    startup          = TimeInterval_Minute * 10;
    ratio            = 50;

    $TargetDedicatedNodes = (lifespan > startup ? (max($RunningTasks.GetSample(span, ratio), $ActiveTasks.GetSample(span, ratio)) == 0 ? 0 : $TargetDedicatedNodes) : 4);
    `;

// Test-AzBatchAutoScale's example; Azure printed "$TargetDedicated=5;$NodeDeallocationOption=requeue;totalNodes=5" before low-priority nodes existed.
const POWERSHELL = `totalNodes=($CPUPercent.GetSamplePercent(TimeInterval_Minute*0,TimeInterval_Minute*10)<0.7?5:(min($CPUPercent.GetSample(TimeInterval_Minute*0, TimeInterval_Minute*10))>0.8?($CurrentDedicated*1.1):$CurrentDedicated));$TargetDedicated=min(100,totalNodes);`;

// doAzureParallel's QUEUE formula (4 slots, dedicated 2–10, low-priority 5–10) and the result Azure returned for it.
const DO_AZURE_PARALLEL_QUEUE = [
  "$samples = $ActiveTasks.GetSamplePercent(TimeInterval_Minute * 15);",
  "$tasks = $samples < 70 ? max(0,$ActiveTasks.GetSample(1)) : max( $ActiveTasks.GetSample(1), avg($ActiveTasks.GetSample(TimeInterval_Minute * 15)));",
  "$maxTasksPerNode = 4;",
  "$round = $maxTasksPerNode - 1;",
  "$targetVMs = $tasks > 0? (($tasks + $round)/ $maxTasksPerNode) : max(0, $TargetDedicated/2) + 0.5;",
  "$TargetDedicatedNodes = max(2, min($targetVMs, 10));",
  "$TargetLowPriorityNodes = max(5, min($targetVMs, 10));",
  "$NodeDeallocationOption = taskcompletion;",
].join("");

// Nextflow's default pool formula (pool created 11:00, 5-minute interval, 1 node at first, at most 4).
// Its creation time is a Java Instant cut to microseconds: Azure refuses a 7th fraction digit.
const NEXTFLOW = `
// Get pool lifetime since creation.
lifespan = time() - time("2024-05-01T11:00:00Z");
interval = TimeInterval_Minute * 5;

// Compute the target nodes based on pending tasks.
// $PendingTasks == The sum of $ActiveTasks and $RunningTasks
$samples = $PendingTasks.GetSamplePercent(interval);
$tasks = $samples < 70 ? max(0, $PendingTasks.GetSample(1)) : max( $PendingTasks.GetSample(1), avg($PendingTasks.GetSample(interval)));
$targetVMs = $tasks > 0 ? $tasks : max(0, $TargetDedicatedNodes/2);
targetPoolSize = max(0, min($targetVMs, 4));

// For first interval deploy 1 node, for other intervals scale up/down as per tasks.
$TargetDedicatedNodes = lifespan < interval ? 1 : targetPoolSize;
$NodeDeallocationOption = taskcompletion;
`;

interface Case {
  formula: string;
  inputs: FormulaInputs;
  dedicated?: number;
  lowPriority?: number;
  results?: string;
  error?: string;
}

test("published formulas evaluate to the documented results", async (t) => {
  const cases: Record<string, Case> = {
    "time of day: a weekday working hour": {
      formula: TIME_OF_DAY,
      inputs: { now: at("2024-05-01T09:30:00.000Z") },
      dedicated: 20,
      results: "$TargetDedicatedNodes=20;$TargetLowPriorityNodes=0;$NodeDeallocationOption=taskcompletion;$curTime=2024-05-01T09:30:00.000Z;$isWeekday=1;$isWorkingWeekdayHour=1;$workHours=1",
    },
    "time of day: Monday 08:00 is a working hour": { formula: TIME_OF_DAY, inputs: { now: at("2024-04-29T08:00:00Z") }, dedicated: 20 },
    "time of day: 18:00 is after hours": { formula: TIME_OF_DAY, inputs: { now: at("2024-05-01T18:00:00Z") }, dedicated: 10 },
    "time of day: Friday 17:59 is a working hour": { formula: TIME_OF_DAY, inputs: { now: at("2024-05-03T17:59:59Z") }, dedicated: 20 },
    "time of day: Saturday": {
      formula: TIME_OF_DAY,
      inputs: { now: at("2024-05-04T10:00:00.000Z") },
      dedicated: 10,
      results: "$TargetDedicatedNodes=10;$TargetLowPriorityNodes=0;$NodeDeallocationOption=taskcompletion;$curTime=2024-05-04T10:00:00.000Z;$isWeekday=0;$isWorkingWeekdayHour=0;$workHours=1",
    },
    "pending tasks: a full history, the last sample above the average, capped at 25": {
      formula: PENDING_TASKS,
      inputs: { now, samples: { $PendingTasks: history(15, (i) => (i < 20 ? 10 : 40)) } },
      dedicated: 25,
      results: "$TargetDedicatedNodes=25;$TargetLowPriorityNodes=0;$NodeDeallocationOption=taskcompletion;$samples=100;$targetVMs=40;$tasks=40",
    },
    "pending tasks: a full history, the average above the last sample": {
      formula: PENDING_TASKS,
      inputs: { now, samples: { $PendingTasks: history(15, (i) => (i < 29 ? 20 : 2)) } },
      dedicated: 19,
      results: "$TargetDedicatedNodes=19.4;$TargetLowPriorityNodes=0;$NodeDeallocationOption=taskcompletion;$samples=100;$targetVMs=19.4;$tasks=19.4",
    },
    "pending tasks: under 70% of the history uses the last sample": {
      formula: PENDING_TASKS,
      inputs: { now, samples: { $PendingTasks: history(5, (i) => i) } },
      dedicated: 9,
      results: "$TargetDedicatedNodes=9;$TargetLowPriorityNodes=0;$NodeDeallocationOption=taskcompletion;$samples=33.333333333333336;$targetVMs=9;$tasks=9",
    },
    "pending tasks: an empty queue halves the current target": {
      formula: PENDING_TASKS,
      inputs: { now, targetDedicatedNodes: 7, currentDedicatedNodes: 7, samples: { $PendingTasks: history(15, 0) } },
      dedicated: 3,
      results: "$TargetDedicatedNodes=3.5;$TargetLowPriorityNodes=0;$NodeDeallocationOption=taskcompletion;$samples=100;$targetVMs=3.5;$tasks=0",
    },
    "pending tasks: an empty queue and no nodes stays at 0": { formula: PENDING_TASKS, inputs: { now, samples: { $PendingTasks: history(15, 0) } }, dedicated: 0 },
    "pending tasks: no samples at all is insufficient data": {
      formula: PENDING_TASKS,
      inputs: { now },
      error: "InsufficientSampleData: Line 1, Col 125: Insufficient data from data set: $PendingTasks wanted 100%, received 0%",
    },
    "task-count based, capped at 20": { formula: TASK_BASED, inputs: { now, samples: { $ActiveTasks: history(15, 30) } }, dedicated: 20 },
    "task-count based, scaling in": { formula: TASK_BASED, inputs: { now, targetDedicatedNodes: 12, samples: { $ActiveTasks: history(15, 0) } }, dedicated: 6 },
    "parallel tasks: 10 active tasks on 1 node of 4 slots grow to 3 nodes": {
      formula: PARALLEL_TASKS,
      inputs: { now, targetDedicatedNodes: 1, samples: { $ActiveTasks: history(15, 10) } },
      dedicated: 3,
      results: "$TargetDedicatedNodes=3;$TargetLowPriorityNodes=0;$NodeDeallocationOption=taskcompletion;$cores=4;$extraVMs=2.25;$samples=100;$targetVMs=3.25;$tasks=10",
    },
    "parallel tasks: 5 active tasks on 1 node": { formula: PARALLEL_TASKS, inputs: { now, targetDedicatedNodes: 1, samples: { $ActiveTasks: history(15, 5) } }, dedicated: 2 },
    "CPU: busy nodes grow by 10%": {
      formula: CPU,
      inputs: { now, currentDedicatedNodes: 10, samples: { $CPUPercent: history(60, 0.9) } },
      dedicated: 11,
      results: "$TargetDedicatedNodes=11;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$totalDedicatedNodes=11",
    },
    "CPU: idle nodes shrink by 10%": { formula: CPU, inputs: { now, currentDedicatedNodes: 10, samples: { $CPUPercent: history(60, 0.1) } }, dedicated: 9 },
    "CPU: steady load keeps the size": { formula: CPU, inputs: { now, currentDedicatedNodes: 10, samples: { $CPUPercent: history(60, 0.5) } }, dedicated: 10 },
    "CPU: 20 minutes of history is too little for the hour": {
      formula: CPU,
      inputs: { now, currentDedicatedNodes: 10, samples: { $CPUPercent: history(20, 0.5) } },
      error: "InsufficientSampleData: Line 5, Col 31: Insufficient data from data set: $CPUPercent wanted 70%, received 33%",
    },
    "preempted nodes: replace preempted low-priority capacity with dedicated nodes": {
      formula: PREEMPTED,
      inputs: { now, samples: { $PreemptedNodeCount: history(3, (i) => 4 + Math.floor(i / 2)) } },
      dedicated: 4,
      lowPriority: 21,
      results: "$TargetDedicatedNodes=4;$TargetLowPriorityNodes=21;$NodeDeallocationOption=taskcompletion;maxNumberofVMs=25",
    },
    "preempted nodes: none preempted, all low-priority": { formula: PREEMPTED, inputs: { now, samples: { $PreemptedNodeCount: history(3, 0) } }, dedicated: 0, lowPriority: 25 },
    "initial pool size: a young pool gets its initial nodes without reading samples": {
      formula: initialSize("Wed, 01 May 2024 11:55:00 GMT"),
      inputs: { now },
      dedicated: 4,
      results: "$TargetDedicatedNodes=4;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;lifespan=00:05:00;ratio=50;span=01:00:00;startup=00:10:00",
    },
    "initial pool size: an idle old pool goes to 0": {
      formula: initialSize("Wed, 01 May 2024 10:00:00 GMT"),
      inputs: { now, samples: { $RunningTasks: history(60, 0), $ActiveTasks: history(60, 0) } },
      dedicated: 0,
    },
    "initial pool size: a busy old pool keeps 4": {
      formula: initialSize("Wed, 01 May 2024 10:00:00 GMT"),
      inputs: { now, samples: { $RunningTasks: history(60, 1), $ActiveTasks: history(40, 0) } },
      dedicated: 4,
    },
    "initial pool size: 50% of the hour is required": {
      formula: initialSize("Wed, 01 May 2024 10:00:00 GMT"),
      inputs: { now, samples: { $RunningTasks: history(20, 1) } },
      error: "InsufficientSampleData: Line 8, Col 79: Insufficient data from data set: $RunningTasks wanted 50%, received 33%",
    },
    "Test-AzBatchAutoScale's example": {
      formula: POWERSHELL,
      inputs: { now, currentDedicatedNodes: 2 },
      dedicated: 5,
      results: "$TargetDedicated=5;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;totalNodes=5",
    },
    "doAzureParallel's queue formula reproduces Azure's reported result": {
      formula: DO_AZURE_PARALLEL_QUEUE,
      inputs: { now, targetDedicatedNodes: 1, samples: { $ActiveTasks: history(15, 0) } },
      dedicated: 2,
      lowPriority: 5,
      results: "$TargetDedicatedNodes=2;$TargetLowPriorityNodes=5;$NodeDeallocationOption=taskcompletion;$maxTasksPerNode=4;$round=3;$samples=100;$targetVMs=1;$tasks=0",
    },
    "doAzureParallel's queue formula with work": {
      formula: DO_AZURE_PARALLEL_QUEUE,
      inputs: { now, targetDedicatedNodes: 1, samples: { $ActiveTasks: history(15, 17) } },
      dedicated: 5,
      lowPriority: 5,
    },
    "doAzureParallel's weekend formula reads $curTime without assigning it": {
      formula: "$isWeekend = $curTime.weekday >= 6 && $curTime.weekday <= 7;$TargetDedicatedNodes = $isWeekend ? 2:6;",
      inputs: { now },
      error: "AutoScalingFormulaSyntaxError: Line 1, Col 14: '$curTime' is not defined: it is not a service variable and no earlier statement assigns it",
    },
    "Nextflow's default formula: the first interval deploys one node": {
      formula: NEXTFLOW,
      // One sample so far (the sampler takes one when the formula is enabled): GetSample(1) needs it.
      inputs: { now: at("2024-05-01T11:03:00Z"), samples: { $PendingTasks: [{ timestamp: at("2024-05-01T11:02:50Z"), value: 3 }] } },
      dedicated: 1,
    },
    "Nextflow's default formula: later, scale to pending tasks up to the cap": {
      formula: NEXTFLOW,
      inputs: { now, samples: { $PendingTasks: history(5, 12) } },
      dedicated: 4,
      results: "$TargetDedicatedNodes=4;$TargetLowPriorityNodes=0;$NodeDeallocationOption=taskcompletion;$samples=100;$targetVMs=12;$tasks=12;interval=00:05:00;lifespan=01:00:00;targetPoolSize=4",
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const r = evaluateFormula(tc.formula, tc.inputs);
      if (tc.error) {
        assert.equal(r.ok, false, r.results);
        if (!r.ok) assert.equal(`${r.error.code}: ${r.error.values[0]!.value}`, tc.error);
        return;
      }
      assert.ok(r.ok, r.ok ? "" : r.error.values[0]!.value);
      assert.equal(r.targets.dedicated, tc.dedicated);
      assert.equal(r.targets.lowPriority, tc.lowPriority ?? 0);
      if (tc.results) assert.equal(r.results, tc.results);
    });
  }
});
