/** What the CRDs say beyond the schemas: names, subresources and printer columns. */
import type { z } from "zod";
import { CATEGORY, type KindNames } from "../group.ts";
import { collectionChunkNames, collectionChunkSpecSchema, collectionChunkStatusSchema } from "../collection-chunk.ts";
import { jobNames, jobSpecSchema, jobStatusSchema } from "../job.ts";
import { poolNames, poolSpecSchema, poolStatusSchema } from "../pool.ts";
import { taskNames, taskSpecSchema, taskStatusSchema } from "../task.ts";
import { taskCollectionNames, taskCollectionSpecSchema, taskCollectionStatusSchema } from "../task-collection.ts";
import { workItemNames, workItemSpecSchema, workItemStatusSchema } from "../work-item.ts";

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface KindDefinition {
  names: KindNames;
  description: string;
  spec: z.ZodType;
  status: z.ZodType;
  printerColumns: PrinterColumn[];
  scale?: ScaleSubresource;
  /**
   * The status.state an object has before anything wrote its status: a CRD default, which the
   * API server applies on every read (so `kubectl get` shows it from creation, with no write);
   * kubatch's code reads an absent state the same way.
   */
  initialState?: string;
  /** Fields `--field-selector` can select on (CRD selectableFields): what one lists these objects by. */
  selectableFields?: string[];
}

const age: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };

export const kinds: KindDefinition[] = [
  {
    names: poolNames,
    description: "A Pool of warm compute nodes (node pods), each prepared once by a start task (Azure Batch pool).",
    spec: poolSpecSchema,
    status: poolStatusSchema,
    printerColumns: [
      { name: "State", type: "string", jsonPath: ".status.allocationState", description: "Steady, Resizing or Stopping." },
      { name: "Current", type: "integer", jsonPath: ".status.currentDedicatedNodes", description: "Dedicated nodes now." },
      { name: "Target", type: "integer", jsonPath: ".status.targetDedicatedNodes", description: "Dedicated nodes wanted." },
      { name: "AutoScale", type: "boolean", jsonPath: ".spec.enableAutoScale", description: "Whether a formula sizes the pool." },
      { name: "Size", type: "string", jsonPath: ".spec.vmSize", description: "Named node size.", priority: 1 },
      { name: "LowPriority", type: "integer", jsonPath: ".status.currentLowPriorityNodes", description: "Low-priority nodes now.", priority: 1 },
      age,
    ],
    scale: {
      specReplicasPath: ".spec.targetDedicatedNodes",
      statusReplicasPath: ".status.currentDedicatedNodes",
      labelSelectorPath: ".status.selector",
    },
  },
  {
    names: workItemNames,
    description: "A WorkItem creates Jobs on a schedule (Azure Batch job schedule).",
    spec: workItemSpecSchema,
    status: workItemStatusSchema,
    printerColumns: [
      { name: "State", type: "string", jsonPath: ".status.state" },
      { name: "Next Run", type: "date", jsonPath: ".status.executionInfo.nextRunTime", description: "When the next job is due." },
      { name: "Recent Job", type: "string", jsonPath: ".status.executionInfo.recentJob.name", description: "The most recent job." },
      age,
    ],
  },
  {
    names: jobNames,
    description: "A Job: a collection of Tasks run on a Pool (Azure Batch job). Address it as jobs.kubatch.dev or kjob.",
    spec: jobSpecSchema,
    status: jobStatusSchema,
    initialState: "Active",
    selectableFields: [".status.state", ".spec.poolInfo.poolId"],
    printerColumns: [
      { name: "State", type: "string", jsonPath: ".status.state" },
      { name: "Pool", type: "string", jsonPath: ".spec.poolInfo.poolId" },
      { name: "Active", type: "integer", jsonPath: ".status.taskCounts.active" },
      { name: "Running", type: "integer", jsonPath: ".status.taskCounts.running" },
      { name: "Succeeded", type: "integer", jsonPath: ".status.taskCounts.succeeded" },
      { name: "Failed", type: "integer", jsonPath: ".status.taskCounts.failed" },
      { name: "Priority", type: "integer", jsonPath: ".spec.priority", priority: 1 },
      // The pool actually used (an auto pool's generated name) and why the job ended.
      { name: "Runs On", type: "string", jsonPath: ".status.executionInfo.poolId", priority: 1 },
      { name: "Terminate Reason", type: "string", jsonPath: ".status.executionInfo.terminateReason", priority: 1 },
      age,
    ],
  },
  {
    names: taskNames,
    description: "A Task: a command line run on a node of its job's pool (Azure Batch task).",
    spec: taskSpecSchema,
    status: taskStatusSchema,
    initialState: "Active",
    // A job's tasks, by state, on a node: whoever created them (no label needed).
    selectableFields: [".spec.jobName", ".status.state", ".status.nodeInfo.nodeId"],
    printerColumns: [
      { name: "State", type: "string", jsonPath: ".status.state" },
      // A failed task reads Completed alone: its result beside it.
      { name: "Result", type: "string", jsonPath: ".status.executionInfo.result" },
      // Why a task waits (DependenciesNotMet, JobPreparationTaskFailed, …): its Schedulable condition's reason.
      { name: "Waiting", type: "string", jsonPath: '.status.conditions[?(@.type=="Schedulable")].reason', description: "Why the task is not scheduled yet (its Schedulable condition's reason)." },
      { name: "Node", type: "string", jsonPath: ".status.nodeInfo.nodeId" },
      { name: "Exit Code", type: "integer", jsonPath: ".status.executionInfo.exitCode" },
      { name: "Retries", type: "integer", jsonPath: ".status.executionInfo.retryCount" },
      { name: "Job", type: "string", jsonPath: ".spec.jobName", priority: 1 },
      age,
    ],
  },
  {
    names: taskCollectionNames,
    description:
      "A TaskCollection: many tasks of a job in one object, one per item of a range, a list or the blobs under a prefix (Azure Batch AddTaskCollection).",
    spec: taskCollectionSpecSchema,
    status: taskCollectionStatusSchema,
    printerColumns: [
      { name: "State", type: "string", jsonPath: ".status.state" },
      { name: "Items", type: "integer", jsonPath: ".status.itemCount", description: "Items in the source." },
      { name: "Succeeded", type: "integer", jsonPath: ".status.counts.succeeded" },
      { name: "Failed", type: "integer", jsonPath: ".status.counts.failed" },
      { name: "Job", type: "string", jsonPath: ".spec.jobName", priority: 1 },
      { name: "Running", type: "integer", jsonPath: ".status.counts.running", priority: 1 },
      age,
    ],
  },
  {
    names: collectionChunkNames,
    description:
      "A CollectionChunk: consecutive items of a TaskCollection that one node runs one after another, claimed and reported in one object. Created by the operator; read the collection instead.",
    spec: collectionChunkSpecSchema,
    status: collectionChunkStatusSchema,
    printerColumns: [
      { name: "Collection", type: "string", jsonPath: ".spec.collectionName" },
      { name: "Start", type: "integer", jsonPath: ".spec.start" },
      { name: "Count", type: "integer", jsonPath: ".spec.count" },
      { name: "State", type: "string", jsonPath: ".status.state" },
      { name: "Done", type: "integer", jsonPath: ".status.done" },
      { name: "Failed", type: "integer", jsonPath: ".status.failed" },
      { name: "Node", type: "string", jsonPath: ".status.nodeInfo.nodeId", priority: 1 },
      age,
    ],
  },
];

export { CATEGORY };
