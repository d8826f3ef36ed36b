// What one formula evaluation writes into a pool's status: the targets to apply (on success)
// and the autoScaleRun record. A target above the pool limit is applied lowered to it, and the
// record's error says so: the run succeeded, but the pool will not reach what the formula asked.
import type { PoolStatus } from "../../../api/pool.ts";
import type { EvaluationResult } from "../autoscale/index.ts";

/** autoScaleRun.error.code when the formula asked for more nodes than a pool may have. */
export const targetTooLarge = "AutoScaleTargetTooLarge";

export type AutoScaleRunWrite = Pick<PoolStatus, "targetDedicatedNodes" | "targetLowPriorityNodes"> & { autoScaleRun: NonNullable<PoolStatus["autoScaleRun"]> };

export function autoScaleRunWrite(result: EvaluationResult, timestamp: string): AutoScaleRunWrite {
  const results = result.results.slice(0, 8192);
  if (!result.ok) {
    // The last good targets stay; only the run's record changes.
    const e = result.error;
    return { autoScaleRun: { timestamp, results, error: { code: e.code, message: e.message.slice(0, 4096), values: e.values.slice(0, 32) } } };
  }
  const capped = result.capped;
  return {
    targetDedicatedNodes: result.targets.dedicated,
    targetLowPriorityNodes: result.targets.lowPriority,
    autoScaleRun: capped.length === 0
      ? { timestamp, results }
      : { timestamp, results, error: { code: targetTooLarge, message: capped.join("; ").slice(0, 4096), values: capped.slice(0, 32).map((value) => ({ name: "Message", value })) } },
  };
}
