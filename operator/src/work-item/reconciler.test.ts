import assert from "node:assert/strict";
import { test } from "node:test";
import type { JobState } from "../../../api/job.ts";
import { workItemLabel } from "../../../api/labels.ts";
import type { WorkItemStatus } from "../../../api/work-item.ts";
import type { JobObject, WorkItemObject } from "../../../kube/objects.ts";
import { assertEvents, assertWrites, cache, fakeApi, FakeClock, type WantWrite } from "../controller/reconcile-harness.ts";
import type { Outcome } from "../controller/work-queue.ts";
import { makeWorkItemReconciler, workItemFieldManager } from "./reconciler.ts";
import { fieldManager } from "../../../kube/apply.ts";

const t0 = "2026-11-29T12:00:00.000Z";
const minutes = (n: number) => new Date(Date.parse(t0) + n * 60_000).toISOString();
const jobSpecification = { poolInfo: { poolId: "p" } };

function workItem(spec: Record<string, unknown> = {}, opts: { deleting?: boolean; status?: WorkItemStatus } = {}): WorkItemObject {
  return {
    apiVersion: "kubatch.dev/v1alpha1",
    kind: "WorkItem",
    metadata: { name: "wi", namespace: "ns", uid: "uid-wi", generation: 1, creationTimestamp: new Date(minutes(-150)), deletionTimestamp: opts.deleting ? new Date(t0) : undefined },
    spec: { jobSpecification, ...spec },
    status: opts.status,
  } as WorkItemObject;
}

function job(name: string, createdMinutes: number, state?: JobState, owner = "wi"): JobObject {
  return {
    apiVersion: "kubatch.dev/v1alpha1",
    kind: "Job",
    metadata: { name, namespace: "ns", labels: { [workItemLabel]: owner }, creationTimestamp: new Date(minutes(createdMinutes)) },
    spec: jobSpecification,
    status: state ? { state } : undefined,
  } as JobObject;
}

const hourly = { schedule: { recurrenceInterval: "PT1H" } };
const status = (body: object): WantWrite => ({ verb: "patchStatus", kind: "WorkItem", name: "wi", body: { status: body } });
const created = (index: number): WantWrite => ({
  verb: "apply",
  kind: "Job",
  name: `wi-job-000000000${index}`,
  body: { metadata: { namespace: "ns", labels: { [workItemLabel]: "wi" }, ownerReferences: [{ kind: "WorkItem", name: "wi", uid: "uid-wi", controller: true }] }, spec: jobSpecification },
});
/** The status an hourly work item (created 150 min ago) has between its runs, its third job created 20 min ago. */
const between: WorkItemStatus = {
  observedGeneration: 1,
  conditions: [{ type: "Ready", status: "True", reason: "Scheduled", message: `next run at ${minutes(30)}`, observedGeneration: 1, lastTransitionTime: minutes(-150) }],
  state: "Active",
  stateTransitionTime: minutes(-150),
  executionInfo: { nextRunTime: minutes(30), recentJob: { name: "wi-job-0000000003", creationTime: minutes(-20) } },
};
/** The status of a work item without a schedule whose one job completed (created an hour ago). */
const once: WorkItemStatus = {
  observedGeneration: 1,
  conditions: [{ type: "Ready", status: "True", reason: "Completed", message: "no more runs", observedGeneration: 1, lastTransitionTime: minutes(-150) }],
  state: "Completed",
  stateTransitionTime: minutes(-30),
  executionInfo: { recentJob: { name: "wi-job-0000000001", creationTime: minutes(-60) }, endTime: minutes(-30) },
};

test("the work item reconciler creates its schedule's jobs and reports state, next run and recent job", async (t) => {
  const cases: Record<string, { workItem?: WorkItemObject; jobs?: JobObject[]; want: { writes: WantWrite[]; events?: string[]; outcome?: Outcome } }> = {
    "not in the cache: nothing": { want: { writes: [] } },
    "being deleted (held while its jobs go): Deleting, Ready False": {
      workItem: workItem({}, { deleting: true, status: once }),
      want: { writes: [status({ state: "Deleting", stateTransitionTime: t0, conditions: [{ type: "Ready", status: "False", reason: "Deleting", observedGeneration: 1 }] })] },
    },
    "terminated right after it made a job the cache does not hold yet: Terminating until the cache has it": {
      workItem: workItem({ terminate: true }, { status: { ...once, state: "Active", executionInfo: { recentJob: { name: "wi-job-0000000001", creationTime: new Date(Date.parse(t0) - 10_000).toISOString() } } } }),
      want: { writes: [status({ state: "Terminating" })], outcome: { requeueAfterMs: 20_000 } },
    },
    "being deleted, Deleting already: nothing": { workItem: workItem({}, { deleting: true, status: { ...once, state: "Deleting" } }), want: { writes: [] } },
    "disabled: no job is made, Disabled": {
      workItem: workItem({ disabled: true }),
      want: { writes: [status({ state: "Disabled", conditions: [{ type: "Ready", status: "True", reason: "Disabled", message: "disabled: no job is created until it is enabled" }] })] },
    },
    "disabled on a recurrence with a run due: none made; the active job runs on": {
      workItem: workItem({ ...hourly, disabled: true }),
      jobs: [job("wi-job-0000000001", -150, "Completed"), job("wi-job-0000000002", -90)],
      want: { writes: [status({ state: "Disabled", executionInfo: { recentJob: { name: "wi-job-0000000002" } } })] },
    },
    "enabled again with the run still due: the job is made": {
      workItem: workItem(hourly, { status: { ...between, state: "Disabled", executionInfo: { recentJob: { name: "wi-job-0000000002", creationTime: minutes(-90) } } } }),
      jobs: [job("wi-job-0000000001", -150, "Completed"), job("wi-job-0000000002", -90, "Completed")],
      want: { writes: [created(3), status({ state: "Active", stateTransitionTime: t0 })], events: ["Normal JobCreated"], outcome: { requeueAfterMs: 30 * 60_000 } },
    },
    "terminated with an active job: the job is terminated, with the reason, Terminating": {
      workItem: workItem({ ...hourly, terminate: true, terminateReason: "quarter closed" }),
      jobs: [job("wi-job-0000000001", -150, "Completed"), job("wi-job-0000000002", -90)],
      want: {
        writes: [
          { verb: "apply", kind: "Job", name: "wi-job-0000000002", body: { metadata: { namespace: "ns" }, spec: { terminate: true, terminateReason: "quarter closed" } } },
          status({ state: "Terminating", executionInfo: { recentJob: { name: "wi-job-0000000002" } }, conditions: [{ type: "Ready", reason: "Terminating", message: "terminating job wi-job-0000000002 (quarter closed)" }] }),
        ],
        events: ["Normal TerminatingJob"],
      },
    },
    "terminating, its job told already: no second write": {
      workItem: workItem({ terminate: true }, { status: { ...once, state: "Terminating", conditions: [{ ...once.conditions![0]!, reason: "Terminating", message: "terminating job wi-job-0000000001 (UserTerminate)" }], executionInfo: { recentJob: once.executionInfo!.recentJob } } }),
      jobs: [{ ...job("wi-job-0000000001", -60), spec: { ...jobSpecification, terminate: true } } as JobObject],
      want: { writes: [] },
    },
    "terminated, its job completed: Completed for good": {
      workItem: workItem({ ...hourly, terminate: true }),
      jobs: [job("wi-job-0000000001", -150, "Completed")],
      want: { writes: [status({ state: "Completed", executionInfo: { endTime: t0 }, conditions: [{ type: "Ready", status: "True", reason: "Terminated", message: "terminated: no more runs" }] })] },
    },
    "terminate unset after it terminated: it stays Completed, no job is made": {
      workItem: workItem(hourly, { status: { ...once, conditions: [{ ...once.conditions![0]!, reason: "Terminated", message: "terminated: no more runs" }] } }),
      jobs: [job("wi-job-0000000001", -60, "Completed")],
      want: { writes: [] },
    },
    "a job specification the operator cannot use: Ready False InvalidSpec and a Warning": {
      workItem: workItem({ jobSpecification: { poolInfo: {} } }),
      want: { writes: [status({ conditions: [{ type: "Ready", status: "False", reason: "InvalidSpec" }] })], events: ["Warning InvalidSpec"] },
    },
    "no schedule: its one job at once, owned by the work item; others' jobs and stray names are not its own": {
      workItem: workItem(),
      jobs: [job("wi-job-0000000007", -5, undefined, "other"), job("wi-extra", -5)],
      want: {
        writes: [created(1), status({ state: "Active", stateTransitionTime: t0, executionInfo: { recentJob: { name: "wi-job-0000000001", creationTime: t0 } }, conditions: [{ type: "Ready", status: "True", reason: "Scheduled", message: "running" }] })],
        events: ["Normal JobCreated"],
      },
    },
    "no schedule, its job completed: the work item completes": {
      workItem: workItem(),
      jobs: [job("wi-job-0000000001", -60, "Completed")],
      want: { writes: [status({ state: "Completed", executionInfo: { endTime: t0, recentJob: { name: "wi-job-0000000001", creationTime: minutes(-60) } }, conditions: [{ type: "Ready", reason: "Completed", message: "no more runs" }] })] },
    },
    "no schedule, its job deleted after it completed: not made again, still Completed": {
      workItem: workItem({}, { status: once }),
      want: { writes: [] },
    },
    "no schedule, its job deleted while it ran: not made again, the work item completes": {
      workItem: workItem({}, { status: { ...once, state: "Active", stateTransitionTime: minutes(-60), executionInfo: { recentJob: once.executionInfo!.recentJob } } }),
      want: { writes: [status({ state: "Completed", stateTransitionTime: t0, executionInfo: { endTime: t0, recentJob: { name: "wi-job-0000000001", creationTime: minutes(-60) } } })] },
    },
    "no schedule, its job made a moment ago and not in the cache yet: not made again, Active until the cache has it": {
      workItem: workItem({}, { status: { ...once, state: "Active", executionInfo: { recentJob: { name: "wi-job-0000000001", creationTime: new Date(Date.parse(t0) - 10_000).toISOString() } } } }),
      want: { writes: [status({ state: "Active", executionInfo: { recentJob: { name: "wi-job-0000000001" } } })], outcome: { requeueAfterMs: 20_000 } },
    },
    "a recent job recorded without its creation time (an older operator), deleted: not made again": {
      workItem: workItem({}, { status: { ...once, executionInfo: { ...once.executionInfo, recentJob: { name: "wi-job-0000000001" } } } }),
      want: { writes: [] },
    },
    "doNotRunUntil ahead: no job yet; looked at again then": {
      workItem: workItem({ schedule: { doNotRunUntil: minutes(10) } }),
      want: { writes: [status({ state: "Active", executionInfo: { nextRunTime: minutes(10) } })], outcome: { requeueAfterMs: 10 * 60_000 } },
    },
    "doNotRunAfter passed before any job: Completed": {
      workItem: workItem({ schedule: { doNotRunAfter: minutes(-1) } }),
      want: { writes: [status({ state: "Completed", executionInfo: { endTime: t0 } })] },
    },
    "recurrence: the run due now creates the next job": {
      workItem: workItem(hourly),
      jobs: [job("wi-job-0000000001", -150, "Completed"), job("wi-job-0000000002", -90, "Completed")],
      want: {
        writes: [created(3), status({ state: "Active", executionInfo: { nextRunTime: minutes(30), recentJob: { name: "wi-job-0000000003" } } })],
        events: ["Normal JobCreated"],
        outcome: { requeueAfterMs: 30 * 60_000 },
      },
    },
    "recurrence: this run's job exists, the status says so: nothing written": {
      workItem: workItem(hourly, { status: between }),
      jobs: [job("wi-job-0000000003", -20)],
      want: { writes: [], outcome: { requeueAfterMs: 30 * 60_000 } },
    },
    "recurrence: this run's job was deleted after it finished: not made again": {
      workItem: workItem(hourly, { status: between }),
      want: { writes: [], outcome: { requeueAfterMs: 30 * 60_000 } },
    },
    "recurrence: the previous run's job was deleted: the next job goes on from its number": {
      workItem: workItem(hourly, { status: { ...between, executionInfo: { nextRunTime: minutes(-30), recentJob: { name: "wi-job-0000000002", creationTime: minutes(-90) } } } }),
      jobs: [job("wi-job-0000000001", -150, "Completed")],
      want: {
        writes: [created(3), status({ executionInfo: { nextRunTime: minutes(30), recentJob: { name: "wi-job-0000000003", creationTime: t0 } } })],
        events: ["Normal JobCreated"],
        outcome: { requeueAfterMs: 30 * 60_000 },
      },
    },
    "recurrence: the previous job outlived the start window: the run is skipped, a Warning": {
      workItem: workItem({ schedule: { recurrenceInterval: "PT1H", startWindow: "PT10M" } }),
      jobs: [job("wi-job-0000000002", -90)],
      want: { writes: [status({ state: "Active", executionInfo: { nextRunTime: minutes(30), recentJob: { name: "wi-job-0000000002" } } })], events: ["Warning RunSkipped"], outcome: { requeueAfterMs: 30 * 60_000 } },
    },
    "recurrence: the previous job still active within the window: no job, the run still due": {
      workItem: workItem(hourly),
      jobs: [job("wi-job-0000000002", -90)],
      want: { writes: [status({ state: "Active", executionInfo: { nextRunTime: minutes(-30) } })], outcome: { requeueAfterMs: 30 * 60_000 } },
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, async () => {
      const api = fakeApi();
      const reconcile = makeWorkItemReconciler({
        workItems: cache(tc.workItem ? [tc.workItem] : []),
        jobs: cache(tc.jobs ?? []),
        writer: api.writer,
        events: api.recorder,
        now: new FakeClock(t0).date,
      });
      assert.deepEqual(await reconcile("ns/wi"), tc.want.outcome);
      assertWrites(api.writes, tc.want.writes);
      assertEvents(api.events, tc.want.events ?? []);
      // A job's terminate is the work item's own field: the operator's apply of the job must not take it back.
      for (const w of api.writes.filter((x) => x.verb === "apply")) {
        assert.equal(w.manager, (w.body as JobObject).spec?.terminate ? workItemFieldManager : fieldManager, `${w.name}: field manager`);
      }
    });
  }
});
