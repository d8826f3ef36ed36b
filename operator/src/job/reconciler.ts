// The Job reconciler: status (task counts, state, conditions) from the scheduler's cache.
import type { KubernetesObject } from "@kubernetes/client-node";
import { poolIdOf } from "../auto-pool/pool-id.ts";
import { reportInvalidSpec } from "../controller/invalid-spec.ts";
import { GROUP, VERSION } from "../api/group.ts";
import { jobNames, parseJob, type JobStatus } from "../api/job.ts";
import { formatProblems } from "../api/parse.ts";
import type { Outcome } from "../controller/work-queue.ts";
import type { DispatchState } from "../dispatch/dispatch-state.ts";
import type { Writer } from "../kube/apply.ts";
import type { EventRecorder } from "../kube/events.ts";
import type { Cache } from "../pool/reconciler.ts";
import { jobStatus } from "./job-status.ts";

export type JobObject = KubernetesObject & { apiVersion: string; kind: string; spec?: unknown; status?: JobStatus };

export type JobReconcilerDeps = {
  jobs: Cache<JobObject>;
  pools: Cache<KubernetesObject>;
  state: DispatchState;
  writer: Writer;
  events: EventRecorder;
  now?: () => Date;
};

export function makeJobReconciler(deps: JobReconcilerDeps): (key: string) => Promise<Outcome> {
  const now = deps.now ?? (() => new Date());
  return async function reconcile(key: string): Promise<Outcome> {
    const [namespace, name] = key.split("/") as [string, string];
    const raw = deps.jobs.get(name, namespace);
    if (!raw) return;
    const ref = { group: GROUP, version: VERSION, plural: jobNames.plural, namespace, name };
    const parsed = parseJob(raw);
    if (!parsed.ok) {
      await reportInvalidSpec(deps, raw, ref, "Completed", formatProblems(parsed.problems), now());
      return;
    }
    const job = parsed.value;
    const poolId = poolIdOf(job);
    const status = jobStatus({ job, counts: deps.state.countsOfJob(key), poolExists: poolId !== undefined && deps.pools.get(poolId, namespace) !== undefined, now: now() });
    if (status.state === "Completed" && raw.status?.state !== "Completed") deps.events.record(raw, "Normal", "JobCompleted", status.conditions?.find((c) => c.type === "Completed")?.message ?? "completed");
    if (!status.conditions?.find((c) => c.type === "PoolReady" && c.status === "True")) deps.events.record(raw, "Warning", "PoolNotFound", `pool ${poolId} does not exist`);
    await deps.writer.patchStatus(ref, raw.status, status);
    return;
  };
}
