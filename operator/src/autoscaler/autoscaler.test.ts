import assert from "node:assert/strict";
import { test } from "node:test";
import type { PoolObject } from "../../../kube/objects.ts";
import { assertEvents, assertWrites, cache, fakeApi, FakeClock, type Failure } from "../controller/reconcile-harness.ts";
import { DispatchState } from "../dispatch/dispatch-state.ts";
import { makeMetrics } from "../metrics/metrics.ts";
import { Autoscaler } from "./autoscaler.ts";

const t0 = "2026-11-29T12:00:00.000Z";
const twice = "$TargetDedicatedNodes = 2;";
const broken = "$TargetDedicatedNodes = $b + 1;";

function pool(name: string, spec: Record<string, unknown>, deleting = false): PoolObject {
  return {
    apiVersion: "kubatch.dev/v1alpha1",
    kind: "Pool",
    metadata: { name, namespace: "ns", deletionTimestamp: deleting ? new Date(t0) : undefined },
    spec: { vmSize: "small", enableAutoScale: true, autoScaleFormula: twice, autoScaleEvaluationInterval: "PT5M", ...spec },
    status: { targetDedicatedNodes: 1, nodeCounts: { total: 1, idle: 1 } },
  } as PoolObject;
}

/** One tick: how long after the previous one, the pools' specs then, and what it writes to pool `p`'s status. */
type Tick = {
  afterMs: number;
  spec?: Record<string, unknown>;
  /** The status patch: the targets it sets (absent: none, the last good ones stay) and the run's error code (null clears one). */
  want?: { targets?: [number, number]; error: string | null };
  events?: string[];
};

test("the autoscaler evaluates each pool's formula every evaluation interval and writes the result to status", async (t) => {
  const cases: Record<string, { pools?: PoolObject[]; pending?: number; failures?: Failure[]; ticks: Tick[]; logs?: RegExp[] }> = {
    "a pool without autoscale: never evaluated": {
      pools: [pool("p", { enableAutoScale: false, targetDedicatedNodes: 1 })],
      ticks: [{ afterMs: 0 }],
    },
    "a pool being deleted: not evaluated": {
      pools: [pool("p", {}, true)],
      ticks: [{ afterMs: 0 }],
    },
    "the first tick evaluates at once: targets and the run's record": {
      ticks: [{ afterMs: 0, want: { targets: [2, 0], error: null } }],
    },
    "within the evaluation interval: not again; at the interval: again": {
      ticks: [{ afterMs: 0, want: { targets: [2, 0], error: null } }, { afterMs: 60_000 }, { afterMs: 4 * 60_000 - 1 }, { afterMs: 1, want: { targets: [2, 0], error: null } }],
    },
    "an interval below 5 s counts as 5 s": {
      pools: [pool("p", { autoScaleEvaluationInterval: "PT1S" })],
      ticks: [{ afterMs: 0, want: { targets: [2, 0], error: null } }, { afterMs: 1_000 }, { afterMs: 4_000, want: { targets: [2, 0], error: null } }],
    },
    "a changed formula is evaluated at once": {
      ticks: [{ afterMs: 0, want: { targets: [2, 0], error: null } }, { afterMs: 1_000, spec: { autoScaleFormula: "$TargetDedicatedNodes = 4; $TargetLowPriorityNodes = 1;" }, want: { targets: [4, 1], error: null } }],
    },
    "a formula that fails: the run's error, the last good targets kept, a Warning": {
      pools: [pool("p", { autoScaleFormula: broken })],
      ticks: [{ afterMs: 0, want: { error: "AutoScalingFormulaSyntaxError" }, events: ["Warning AutoScaleFailed"] }],
    },
    "a failing formula fixed: the error is cleared": {
      pools: [pool("p", { autoScaleFormula: broken })],
      ticks: [{ afterMs: 0, want: { error: "AutoScalingFormulaSyntaxError" }, events: ["Warning AutoScaleFailed"] }, { afterMs: 1_000, spec: { autoScaleFormula: twice }, want: { targets: [2, 0], error: null } }],
    },
    "the scheduler's queue reaches the formula as $ActiveTasks": {
      pools: [pool("p", { autoScaleFormula: "$TargetDedicatedNodes = max($ActiveTasks.GetSample(1));" })],
      pending: 3,
      ticks: [{ afterMs: 0, want: { targets: [3, 0], error: null } }],
    },
    "a status write that fails is logged; the other pools are still evaluated": {
      pools: [pool("a", {}), pool("p", {})],
      failures: [{ verb: "patchStatus", name: "a", code: 500 }],
      ticks: [{ afterMs: 0, want: { targets: [2, 0], error: null } }],
      logs: [/^autoscale ns\/a: patchStatus Pool a: 500$/],
    },
    "a status write that fails: evaluated and written again after 5 s, not an interval later; then the interval again": {
      failures: [{ verb: "patchStatus", name: "p", code: 500, times: 1 }],
      ticks: [{ afterMs: 0 }, { afterMs: 4_999 }, { afterMs: 1, want: { targets: [2, 0], error: null } }, { afterMs: 5 * 60_000 - 1 }, { afterMs: 1, want: { targets: [2, 0], error: null } }],
      logs: [/^autoscale ns\/p: patchStatus Pool p: 500$/],
    },
    "a status write that keeps failing: tried every 5 s": {
      failures: [{ verb: "patchStatus", name: "p", code: 503, times: 3 }],
      ticks: [{ afterMs: 0 }, { afterMs: 5_000 }, { afterMs: 5_000 }, { afterMs: 4_000 }, { afterMs: 1_000, want: { targets: [2, 0], error: null } }],
      logs: [/503/, /503/, /503/],
    },
    "a formula that fails is written, and evaluated again an interval later, not sooner": {
      pools: [pool("p", { autoScaleFormula: broken })],
      ticks: [{ afterMs: 0, want: { error: "AutoScalingFormulaSyntaxError" }, events: ["Warning AutoScaleFailed"] }, { afterMs: 5_000 }, { afterMs: 5 * 60_000 - 5_000, want: { error: "AutoScalingFormulaSyntaxError" }, events: ["Warning AutoScaleFailed"] }],
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, async () => {
      const clock = new FakeClock(t0);
      const api = fakeApi({ failures: tc.failures });
      const state = new DispatchState();
      state.upsertPool({ key: "ns/p", slotsPerNode: 1, fill: "Spread" });
      state.upsertJob({ key: "ns/j", poolKey: "ns/p", priority: 0, maxParallelTasks: -1, created: "", schedulable: true });
      for (let i = 0; i < (tc.pending ?? 0); i++) state.upsertTask({ key: `ns/t${i}`, namespace: "ns", name: `t${i}`, jobKey: "ns/j", resourceVersion: "1", created: "", requiredSlots: 1, completed: false, state: "Active", requeueCount: 0 });
      let pools = tc.pools ?? [pool("p", {})];
      const logs: string[] = [];
      const autoscaler = new Autoscaler({
        pools: cache(() => pools),
        nodePods: cache([]),
        state,
        writer: api.writer,
        events: api.recorder,
        metrics: makeMetrics(),
        takeCompletions: () => ({ succeeded: 0, failed: 0 }),
        samplePeriodMs: 30_000,
        log: (line) => void logs.push(line),
        now: clock.now,
      });
      for (const [i, tick] of tc.ticks.entries()) {
        await clock.advance(tick.afterMs);
        if (tick.spec) pools = pools.map((p) => ({ ...p, spec: { ...p.spec, ...tick.spec } }) as PoolObject);
        const from = api.writes.length;
        const eventsFrom = api.events.length;
        await autoscaler.tick();
        const writes = api.writes.slice(from);
        assertWrites(writes, tick.want ? [{ verb: "patchStatus", kind: "Pool", name: "p" }] : []);
        assertEvents(api.events.slice(eventsFrom), tick.events ?? []);
        if (!tick.want) continue;
        const body = (writes[0]!.body as { status: object }).status as { targetDedicatedNodes?: number; targetLowPriorityNodes?: number; autoScaleRun: { timestamp: string; error: { code: string } | null } };
        assert.deepEqual(tick.want.targets ? [body.targetDedicatedNodes, body.targetLowPriorityNodes] : Object.keys(body), tick.want.targets ?? ["autoScaleRun"], `tick ${i}: targets`);
        assert.equal(body.autoScaleRun.error === null ? null : body.autoScaleRun.error.code, tick.want.error, `tick ${i}: error`);
        assert.equal(body.autoScaleRun.timestamp, clock.date().toISOString(), `tick ${i}: the run's time`);
      }
      assert.equal(logs.length, tc.logs?.length ?? 0, logs.join("\n"));
      tc.logs?.forEach((re, i) => assert.match(logs[i]!, re));
    });
  }
});
