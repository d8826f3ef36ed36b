/** The kubatch API (kubatch.dev/v1alpha1): zod schemas, inferred types and parse functions. */
export * from "./group.ts";
export * from "./parse.ts";
export * from "./duration.ts";
export * from "./conditions.ts";
export * from "./pool.ts";
export * from "./work-item.ts";
export * from "./job.ts";
export * from "./task.ts";
export * from "./task-collection.ts";
export * from "./task-collection-items.ts";
export * from "./collection-chunk.ts";
export type { ResourceFile } from "./resource-file.ts";
export type { EnvironmentSetting } from "./environment.ts";
export type { MetadataItem, ObjectMeta } from "./metadata.ts";
export type { OutputFile } from "./output-file.ts";
export type { ExitConditions, ExitOptions } from "./exit-conditions.ts";
export type { TaskConstraints, JobConstraints } from "./constraints.ts";
export type { ContainerSettings } from "./container-settings.ts";
export type { StartTask } from "./start-task.ts";
export type { FailureInfo } from "./failure-info.ts";
export type { TaskDependencies } from "./task-dependencies.ts";

import { jobNames } from "./job.ts";
import { poolNames } from "./pool.ts";
import { taskNames } from "./task.ts";
import { collectionChunkNames } from "./collection-chunk.ts";
import { taskCollectionNames } from "./task-collection.ts";
import { workItemNames } from "./work-item.ts";

/** Every kubatch kind's names, in dependency order (a WorkItem creates Jobs, whose Tasks and TaskCollections run on Pools; a collection runs as CollectionChunks). */
export const allKindNames = [poolNames, workItemNames, jobNames, taskNames, taskCollectionNames, collectionChunkNames] as const;
