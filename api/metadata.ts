import { z } from "zod";
import { API_VERSION, type KindNames } from "./group.ts";

/** A name-value pair attached to a pool, job or work item (Azure Batch MetadataItem); kubatch does not interpret it. */
export const metadataItemSchema = z.strictObject({
  name: z.string().min(1).max(1024).describe("Name of the metadata item."),
  value: z.string().max(32768).describe("Value of the metadata item."),
});

export type MetadataItem = z.infer<typeof metadataItemSchema>;

export const metadataListSchema = z
  .array(metadataItemSchema)
  .max(1000)
  .optional()
  .describe("Name-value pairs for the user's own use; kubatch does not interpret them (Azure Batch metadata).");

/** The part of Kubernetes ObjectMeta the operator relies on; other fields pass through. */
export function objectMetaSchema(maxNameLength: number) {
  return z.looseObject({
    name: z
      .string()
      .min(1)
      .max(maxNameLength, { error: `must be at most ${maxNameLength} characters` }),
    namespace: z.string().optional(),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
    generation: z.int().optional(),
    // client-node's model deserializer turns timestamps into Dates; plain JSON keeps strings.
    creationTimestamp: z.union([z.string(), z.date()]).optional(),
    deletionTimestamp: z.union([z.string(), z.date()]).optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    finalizers: z.array(z.string()).optional(),
  });
}

export type ObjectMeta = z.infer<ReturnType<typeof objectMetaSchema>>;

/** A whole kubatch object as read from the API server: apiVersion, kind, metadata, spec, optional status. */
export function objectSchema<Spec extends z.ZodType, Status extends z.ZodType>(names: KindNames, spec: Spec, status: Status) {
  return z.object({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(names.kind),
    metadata: objectMetaSchema(names.maxNameLength),
    spec,
    status: status.optional(),
  });
}

/**
 * A kubatch object as a cache or a list holds it, before parsing: the spec as written (any
 * field may be absent, defaults not applied) and the status as stored. Cheap to read, which
 * matters for the many tasks; parse it (parseTask, …) for the defaults and the rules. The
 * metadata comes from whoever read it (client-node's KubernetesObject, or ObjectMeta).
 */
export type Stored<Spec, Status> = { apiVersion: string; kind: string; spec?: Partial<Spec>; status?: Status };
