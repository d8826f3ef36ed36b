// What a controller watches, declared next to its reconcile (as Kueue's SetupWithManager
// does): for each shared informer it cares about, which keys of its own queue an event adds.
// The controller manager runs one informer per kind for every controller, brings the
// scheduler's index up to date first, then calls each controller's mappings. Mappings only
// enqueue keys.
import type { KubernetesObject, V1Deployment, V1NetworkPolicy, V1Pod } from "@kubernetes/client-node";
import type { EventKind } from "../../../kube/informer.ts";
import type { CollectionChunkObject, JobObject, PoolObject, TaskCollectionObject, TaskObject, WorkItemObject } from "../../../kube/objects.ts";
import type { TaskEntry } from "../dispatch/dispatch-state.ts";
import type { Handler } from "./work-queue.ts";

/** A job event with what the scheduler's index knew before it. */
export type JobChange = { obj: JobObject; key: string; poolKey: string; wasSchedulable: boolean | undefined };
/** A task event as the scheduler's index saw it: the task's entry now and before. */
export type TaskChange = { obj: TaskObject; entry: TaskEntry; before: TaskEntry | undefined };
/** A chunk event as the scheduler's index saw it (chunk-entry.ts). */
export type ChunkChange = { obj: CollectionChunkObject; entry: TaskEntry; before: TaskEntry | undefined };

/** The shared informers and what each hands to the mappings. */
export type Watched = {
  pools: PoolObject;
  deployments: V1Deployment;
  /** The pools' NetworkPolicies (labelled with their pool). */
  networkPolicies: V1NetworkPolicy;
  /** Node pods (labelled with their pool). */
  nodePods: V1Pod;
  jobs: JobChange;
  workItems: WorkItemObject;
  tasks: TaskChange;
  collections: TaskCollectionObject;
  chunks: ChunkChange;
  /** Container tasks' Pods (labelled with their task). */
  taskPods: V1Pod;
};

export type Watches = { [K in keyof Watched]?: (kind: EventKind, event: Watched[K]) => void };

export type Queue = { add(key: string): void; addAfter(key: string, delayMs: number): void };

/** One controller: its queue's name (the metrics label), how many workers, its reconcile and its watches. */
export type Controller = { name: string; workers: number; reconcile: Handler; watches: Watches };

export const keyOf = (obj: KubernetesObject) => `${obj.metadata?.namespace}/${obj.metadata?.name}`;
