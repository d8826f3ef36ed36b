// Autoscaling pools with their Azure Batch formulas: every sample period each autoscale pool's
// queue and its nodes' resource use (node-usage.ts) are sampled; every autoScaleEvaluationInterval (at least 5 s) its formula is evaluated
// and the result — new targets, or an error with its position — goes into status, where the
// pool reconciler applies the targets through the usual resize path. A failing formula keeps
// the last good targets and never stops the operator; a status write that fails is tried
// again (evaluated afresh) after 5 s.
import { parseDuration } from "../../../api/duration.ts";
import { GROUP, VERSION } from "../../../api/group.ts";
import { poolNames, type PoolStatus } from "../../../api/pool.ts";
import { evaluateFormula, type FormulaInputs } from "../autoscale/index.ts";
import type { DispatchState } from "../dispatch/dispatch-state.ts";
import type { Writer } from "../../../kube/apply.ts";
import type { EventRecorder } from "../../../kube/events.ts";
import type { Metrics } from "../metrics/metrics.ts";
import type { Cache } from "../pool/reconciler.ts";
import { autoScaleRunWrite, targetTooLarge } from "./autoscale-run.ts";
import { SampleHistory } from "./sample-history.ts";
import type { PoolObject } from "../../../kube/objects.ts";
import type { V1Pod } from "@kubernetes/client-node";
import { poolLabel } from "../../../api/labels.ts";
import { NodeUsageSampler, nodeUsageVariables } from "./node-usage.ts";

export const minEvaluationIntervalMs = 5_000;
/** A result whose status write failed is evaluated and written again this soon, not an interval later. */
export const writeRetryMs = 5_000;

export type AutoscalerDeps = {
  pools: Cache<PoolObject>;
  /** The node pods, whose agents are asked for $CPUPercent, $MemoryBytes, … (node-usage.ts). */
  nodePods: Cache<V1Pod>;
  /** Tests give their own clock and fetch. */
  nodeUsage?: NodeUsageSampler;
  state: DispatchState;
  writer: Writer;
  events: EventRecorder;
  metrics: Metrics;
  /** Completions per pool since the last sample, read and reset by the sampler. */
  takeCompletions: (poolKey: string) => { succeeded: number; failed: number };
  samplePeriodMs: number;
  log: (line: string) => void;
  now?: () => number;
};

type PoolSpecView = { enableAutoScale?: boolean; autoScaleFormula?: string; autoScaleEvaluationInterval?: string; taskSlotsPerNode?: number; nodeDeallocationOption?: string };

export class Autoscaler {
  private readonly deps: AutoscalerDeps;
  private readonly history = new Map<string, SampleHistory>();
  /** When each pool is evaluated next, and the formula and interval that was decided with. */
  private readonly nextEvaluation = new Map<string, { due: number; formula: string; interval: string }>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly usage: NodeUsageSampler;

  constructor(deps: AutoscalerDeps) {
    this.deps = deps;
    this.usage = deps.nodeUsage ?? new NodeUsageSampler();
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), Math.min(1_000, this.deps.samplePeriodMs));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Samples and evaluates whatever is due; one pass at a time. */
  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const now = (this.deps.now ?? Date.now)();
      const seen = new Set<string>();
      for (const pool of this.deps.pools.list()) {
        const spec = (pool.spec ?? {}) as PoolSpecView;
        const key = `${pool.metadata?.namespace}/${pool.metadata?.name}`;
        if (!spec.enableAutoScale || !spec.autoScaleFormula || pool.metadata?.deletionTimestamp) continue;
        seen.add(key);
        const history = this.history.get(key) ?? new SampleHistory();
        this.history.set(key, history);
        if (now - history.lastSampleAt >= this.deps.samplePeriodMs) {
          const name = pool.metadata!.name!;
          const pods = this.deps.nodePods.list(pool.metadata!.namespace).filter((p) => p.metadata?.labels?.[poolLabel] === name);
          const usage = await this.usage.sample(key, pods);
          history.record(now, { ...this.sample(key, pool.status), ...usage });
          // A variable this sample lacks (no node answered twice in a row) is not shown with an old value.
          for (const variable of nodeUsageVariables) {
            const labels = { namespace: pool.metadata!.namespace!, pool: name, variable: variable.slice(1) };
            const value = usage[variable];
            if (value === undefined) this.deps.metrics.poolNodeSample.remove(labels);
            else this.deps.metrics.poolNodeSample.set(labels, value);
          }
        }
        const next = this.nextEvaluation.get(key);
        const formula = spec.autoScaleFormula;
        const intervalText = spec.autoScaleEvaluationInterval ?? "";
        // A changed formula or interval is evaluated at once, as Azure does on enabling autoscale.
        const changed = !next || next.formula !== formula || next.interval !== intervalText;
        if (changed || now >= next.due) {
          const interval = Math.max(minEvaluationIntervalMs, safeDuration(spec.autoScaleEvaluationInterval));
          // The next evaluation is an interval away once the result is in status; a write that
          // failed would otherwise keep new targets out for a whole interval.
          const written = await this.evaluate(pool, spec, history, now).then(
            () => true,
            (err: unknown) => (this.deps.log(`autoscale ${key}: ${err instanceof Error ? err.message : String(err)}`), false),
          );
          this.nextEvaluation.set(key, { due: now + (written ? interval : writeRetryMs), formula, interval: intervalText });
        }
      }
      for (const key of this.history.keys()) {
        if (seen.has(key)) continue;
        this.history.delete(key);
        this.nextEvaluation.delete(key);
        this.usage.forget(key);
        const [namespace, pool] = key.split("/") as [string, string];
        for (const variable of nodeUsageVariables) this.deps.metrics.poolNodeSample.remove({ namespace, pool, variable: variable.slice(1) });
      }
    } finally {
      this.busy = false;
    }
  }

  private sample(poolKey: string, status: PoolStatus | undefined) {
    const { active, running } = this.deps.state.poolQueue(poolKey);
    const done = this.deps.takeCompletions(poolKey);
    return {
      $ActiveTasks: active,
      $RunningTasks: running,
      $PendingTasks: active + running,
      $SucceededTasks: done.succeeded,
      $FailedTasks: done.failed,
      $SampleNodeCount: status?.nodeCounts?.total ?? 0,
      $PreemptedNodeCount: status?.nodeCounts?.preempted ?? 0,
    };
  }

  private async evaluate(pool: PoolObject, spec: PoolSpecView, history: SampleHistory, now: number): Promise<void> {
    const status = pool.status ?? {};
    const counts = status.nodeCounts ?? {};
    const inputs: FormulaInputs = {
      now,
      samplePeriodSeconds: this.deps.samplePeriodMs / 1000,
      samples: history.samples(),
      currentDedicatedNodes: status.currentDedicatedNodes ?? 0,
      currentLowPriorityNodes: status.currentLowPriorityNodes ?? 0,
      targetDedicatedNodes: status.targetDedicatedNodes ?? 0,
      targetLowPriorityNodes: status.targetLowPriorityNodes ?? 0,
      taskSlotsPerNode: spec.taskSlotsPerNode ?? 1,
      usableNodeCount: (counts.idle ?? 0) + (counts.running ?? 0),
      nodeDeallocationOption: (spec.nodeDeallocationOption ?? "Requeue").toLowerCase() as FormulaInputs["nodeDeallocationOption"],
    };
    const result = evaluateFormula(spec.autoScaleFormula!, inputs);
    const timestamp = new Date(now).toISOString();
    const ref = { group: GROUP, version: VERSION, plural: poolNames.plural, namespace: pool.metadata!.namespace!, name: pool.metadata!.name! };
    const next = autoScaleRunWrite(result, timestamp);
    if (result.ok) {
      this.deps.metrics.autoscaleEvaluations.inc({ result: "success" });
      if (result.capped.length > 0) this.deps.events.record(pool, "Warning", targetTooLarge, result.capped.join("; "));
    } else {
      this.deps.metrics.autoscaleEvaluations.inc({ result: "error" });
      const e = result.error;
      this.deps.events.record(pool, "Warning", "AutoScaleFailed", `${e.code}: ${e.message}${e.values[0] ? ` (${e.values[0].value})` : ""}`);
    }
    // Merge into what is there; autoScaleRun is replaced whole (null clears an old error).
    const body = { ...next, autoScaleRun: { error: null, ...next.autoScaleRun } };
    await this.deps.writer.patchStatus(ref, undefined, body);
  }
}

function safeDuration(text: string | undefined): number {
  try {
    return text ? parseDuration(text) : 30_000;
  } catch {
    return 30_000;
  }
}
