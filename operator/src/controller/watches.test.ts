// Which keys an informer event puts on which controller's queue: the controllers' watches,
// fed through the scheduler's index as the controller manager does.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Deployment, V1NetworkPolicy, V1Pod } from "@kubernetes/client-node";
import type { JobObject, PoolObject, TaskObject, WorkItemObject } from "../../../kube/objects.ts";
import { autoPoolController } from "../auto-pool/controller.ts";
import { containerTaskController } from "../container-task/controller.ts";
import { dispatchController } from "../dispatch/controller.ts";
import { DispatchState } from "../dispatch/dispatch-state.ts";
import { indexJob, indexNodePod, indexPool, indexTask } from "../dispatch/informer-index.ts";
import { jobController } from "../job/controller.ts";
import { poolController } from "../pool/controller.ts";
import { workItemController } from "../work-item/controller.ts";
import type { Controller, Queue, Watched } from "./watches.ts";

const api = "kubatch.dev/v1alpha1";
const pool: PoolObject = { apiVersion: api, kind: "Pool", metadata: { name: "p", namespace: "ns" }, spec: {} };
const job = (name: string, spec: JobObject["spec"] = { poolInfo: { poolId: "p" } }, labels?: Record<string, string>): JobObject => ({ apiVersion: api, kind: "Job", metadata: { name, namespace: "ns", labels }, spec });
const task = (name: string, labels?: Record<string, string>, status?: TaskObject["status"]): TaskObject => ({
  apiVersion: api,
  kind: "Task",
  metadata: { name, namespace: "ns", uid: name, labels },
  spec: { jobName: "j", commandLine: "true" },
  status,
});
const nodePod: V1Pod = { metadata: { name: "p-dedicated-1", namespace: "ns", labels: { "kubatch.dev/pool": "p" } } };
const deployment: V1Deployment = { metadata: { name: "p-dedicated", namespace: "ns", labels: { "kubatch.dev/pool": "p" } } };
const networkPolicy: V1NetworkPolicy = { metadata: { name: "p-nodes", namespace: "ns", labels: { "kubatch.dev/pool": "p" } } };
const workItem: WorkItemObject = { apiVersion: api, kind: "WorkItem", metadata: { name: "w", namespace: "ns" }, spec: {} };

type Event = { [K in keyof Watched]: { informer: K; kind: "add" | "update" | "delete"; obj: K extends "jobs" ? JobObject : K extends "tasks" ? TaskObject : Watched[K] } }[keyof Watched];

function harness() {
  const state = new DispatchState();
  const added: string[] = [];
  const queueOf = (name: string): Queue => ({ add: (key) => void added.push(`${name} ${key}`), addAfter: (key, ms) => void added.push(`${name} ${key} +${ms}ms`) });
  const none = undefined as never;
  const controllers: Controller[] = [
    poolController({ queue: queueOf("pool"), state, pools: none, deployments: none, networkPolicies: none, pods: none, writer: none, apps: none, networking: none, core: none, events: none, config: none, workOf: none, onStatus: none, ensureNodeRbac: none }),
    dispatchController({ queue: queueOf("dispatch"), state, custom: none, log: none, onAssigned: none, onRequeued: none, deallocation: none }),
    jobController({ queue: queueOf("job"), jobs: none, pools: none, state, writer: none, writes: none, custom: none, events: none, log: none }),
    workItemController({ queue: queueOf("workitem"), workItems: none, jobs: none, writer: none, events: none }),
    autoPoolController({ queue: queueOf("autopool"), jobs: none, workItems: none, pools: none, writer: none, events: none, state, listEvents: none, deletePool: none }),
    containerTaskController({ queue: queueOf("containertask"), tasks: none, jobs: none, state, writer: none, core: none, events: none, config: none, log: () => {}, ensureUploadRbac: none }),
  ];
  const validation = { invalid: () => false, forget: () => {} };
  const fire = (e: Event) => {
    const event =
      e.informer === "pools" ? (indexPool(state, e.kind, e.obj), e.obj)
      : e.informer === "nodePods" ? (indexNodePod(state, e.kind, e.obj), e.obj)
      : e.informer === "jobs" ? indexJob(state, e.kind, e.obj)
      : e.informer === "tasks" ? indexTask(state, e.kind, e.obj, validation)
      : e.obj;
    for (const c of controllers) (c.watches[e.informer] as ((kind: string, event: unknown) => void) | undefined)?.(e.kind, event);
  };
  return { fire, added };
}

test("informer events enqueue the keys each controller declares", async (t) => {
  const cases: Record<string, { before?: Event[]; event: Event; want: string[] }> = {
    "a pool: its pool, dispatch and the jobs on it": {
      before: [{ informer: "jobs", kind: "add", obj: job("j") }],
      event: { informer: "pools", kind: "update", obj: pool },
      want: ["pool ns/p", "dispatch ns/p", "job ns/j"],
    },
    "an auto pool also its owner's auto-pool key": {
      event: { informer: "pools", kind: "add", obj: { ...pool, metadata: { ...pool.metadata, labels: { "kubatch.dev/auto-pool-owner": "j" } } } },
      want: ["pool ns/p", "dispatch ns/p", "autopool ns/p"],
    },
    "a node Deployment: its pool": { event: { informer: "deployments", kind: "update", obj: deployment }, want: ["pool ns/p"] },
    "a node NetworkPolicy changed or deleted: its pool": { event: { informer: "networkPolicies", kind: "delete", obj: networkPolicy }, want: ["pool ns/p"] },
    "a node pod: its pool and its dispatch": { event: { informer: "nodePods", kind: "add", obj: nodePod }, want: ["pool ns/p", "dispatch ns/p"] },
    "a job: dispatch of its pool, the job, and the container tasks look at it": {
      event: { informer: "jobs", kind: "add", obj: job("j") },
      want: ["dispatch ns/p", "job ns/j"],
    },
    "a deleted job of a work item: the work item and the dispatch, not the job": {
      before: [{ informer: "jobs", kind: "add", obj: job("w-job-0000000001", undefined, { "kubatch.dev/work-item": "w" }) }],
      event: { informer: "jobs", kind: "delete", obj: job("w-job-0000000001", undefined, { "kubatch.dev/work-item": "w" }) },
      want: ["dispatch ns/p", "workitem ns/w"],
    },
    "a job with an auto pool: its auto-pool key too": {
      event: { informer: "jobs", kind: "add", obj: job("a", { poolInfo: { autoPoolSpecification: { poolLifetimeOption: "Job", pool: { vmSize: "small" } } } }) },
      want: ["dispatch ns/auto-a", "job ns/a", "autopool ns/auto-a"],
    },
    "a work item: itself": { event: { informer: "workItems", kind: "add", obj: workItem }, want: ["workitem ns/w"] },
    "a new task waiting: its job's status later, its pool's dispatch": {
      before: [{ informer: "jobs", kind: "add", obj: job("j") }],
      event: { informer: "tasks", kind: "add", obj: task("t") },
      want: ["pool ns/p +1000ms", "dispatch ns/p", "job ns/j +200ms"],
    },
    "an assignment: node counts and job status, no dispatch": {
      before: [{ informer: "jobs", kind: "add", obj: job("j") }, { informer: "tasks", kind: "add", obj: task("t") }],
      event: { informer: "tasks", kind: "update", obj: task("t", { "kubatch.dev/node": "p-dedicated-1" }) },
      want: ["pool ns/p +1000ms", "job ns/j +200ms"],
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const h = harness();
      for (const e of tc.before ?? []) h.fire(e);
      h.added.length = 0;
      h.fire(tc.event);
      assert.deepEqual(h.added.sort(), tc.want.sort());
    });
  }
});
