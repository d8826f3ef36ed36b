// The kubatch kinds as the informers' caches and list calls hold them: client-node's object
// (metadata as it deserializes it) with the API's stored spec and status.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { StoredCollectionChunk } from "../api/collection-chunk.ts";
import type { StoredJob } from "../api/job.ts";
import type { StoredPool } from "../api/pool.ts";
import type { StoredTask } from "../api/task.ts";
import type { StoredWorkItem } from "../api/work-item.ts";

export type PoolObject = KubernetesObject & StoredPool;
export type WorkItemObject = KubernetesObject & StoredWorkItem;
export type JobObject = KubernetesObject & StoredJob;
export type TaskObject = KubernetesObject & StoredTask;
export type ChunkObject = KubernetesObject & StoredCollectionChunk;
