// The operator's Prometheus metrics (prom-client), named kubatch_<subsystem>_<name>_<unit>.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export type Metrics = ReturnType<typeof makeMetrics>;

export function makeMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const reg = { registers: [registry] };
  return {
    registry,
    reconciles: new Counter({ name: "kubatch_controller_reconciles_total", help: "Reconciles by controller.", labelNames: ["controller"], ...reg }),
    reconcileErrors: new Counter({ name: "kubatch_controller_reconcile_errors_total", help: "Reconciles that failed, by controller.", labelNames: ["controller"], ...reg }),
    reconcileDuration: new Histogram({
      name: "kubatch_controller_reconcile_duration_seconds",
      help: "Time to reconcile one key, by controller.",
      labelNames: ["controller"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      ...reg,
    }),
    queueDepth: new Gauge({ name: "kubatch_workqueue_depth", help: "Keys waiting in each work queue.", labelNames: ["queue"], ...reg }),
    // Labelled by namespace and pool (few); not by job, which would grow without bound.
    tasksDispatched: new Counter({ name: "kubatch_tasks_dispatched_total", help: "Tasks (and chunks) assigned to a node, per pool.", labelNames: ["namespace", "pool"], ...reg }),
    tasksRequeued: new Counter({ name: "kubatch_tasks_requeued_total", help: "Tasks put back in the queue because their node was lost, per pool.", labelNames: ["namespace", "pool"], ...reg }),
    tasksCompleted: new Counter({ name: "kubatch_tasks_completed_total", help: "Tasks and task-collection items completed, per pool and result.", labelNames: ["namespace", "pool", "result"], ...reg }),
    taskStartLatency: new Histogram({
      name: "kubatch_task_start_latency_seconds",
      help: "From a task's creation to its process start on a node, per pool.",
      labelNames: ["namespace", "pool"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      ...reg,
    }),
    taskDuration: new Histogram({
      name: "kubatch_task_duration_seconds",
      help: "A completed task's run, from its start to its end (executionInfo), per pool and result.",
      labelNames: ["namespace", "pool", "result"],
      buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600],
      ...reg,
    }),
    jobs: new Gauge({ name: "kubatch_jobs", help: "Jobs in each state (Active, Disabled, Terminating, Completed, …), per namespace.", labelNames: ["namespace", "state"], ...reg }),
    poolNodes: new Gauge({ name: "kubatch_pool_nodes", help: "Nodes of each pool by state.", labelNames: ["namespace", "pool", "state"], ...reg }),
    poolPendingTasks: new Gauge({ name: "kubatch_pool_pending_tasks", help: "Tasks waiting for a node, per pool.", labelNames: ["namespace", "pool"], ...reg }),
    poolNodeSample: new Gauge({
      name: "kubatch_pool_node_sample",
      help: "The last autoscale sample of each node metric per autoscale pool, the mean over its nodes that answered (variable: CPUPercent, MemoryBytes, DiskBytes, NetworkInBytes, …).",
      labelNames: ["namespace", "pool", "variable"],
      ...reg,
    }),
    autoscaleEvaluations: new Counter({ name: "kubatch_autoscale_evaluations_total", help: "Autoscale formula evaluations, by result.", labelNames: ["result"], ...reg }),
    leader: new Gauge({ name: "kubatch_leader_election_is_leader", help: "1 while this replica leads.", ...reg }),
  };
}

/** Wraps a queue handler with reconcile counters and durations. */
export function instrumented<A extends unknown[], R>(metrics: Metrics, controller: string, handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    const end = metrics.reconcileDuration.startTimer({ controller });
    metrics.reconciles.inc({ controller });
    try {
      return await handler(...args);
    } catch (err) {
      metrics.reconcileErrors.inc({ controller });
      throw err;
    } finally {
      end();
    }
  };
}
