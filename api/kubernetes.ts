import { z } from "zod";
import { objectName } from "./names.ts";

/** A resource quantity (`2`, `500m`, `1Gi`): an integer or a string, like core/v1. */
export const QUANTITY_PATTERN = /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;
export const quantitySchema = z.union([z.int(), z.string().regex(QUANTITY_PATTERN, { error: "must be a quantity such as 500m, 2 or 1Gi" })]);

const resourceListSchema = z.record(z.string(), quantitySchema);

/** core/v1 ResourceRequirements (requests and limits only). */
export const resourcesSchema = z
  .strictObject({
    requests: resourceListSchema.optional().describe("Minimum resources (cpu, memory, …) per node or container."),
    limits: resourceListSchema.optional().describe("Maximum resources (cpu, memory, …) per node or container."),
  })
  .describe("CPU and memory requests and limits, as in a Pod's container.");

export const nodeSelectorSchema = z
  .record(z.string(), z.string())
  .describe("Labels a Kubernetes node must carry to run the pods (core/v1 nodeSelector).");

/** core/v1 Toleration. */
export const tolerationSchema = z.strictObject({
  key: z.string().optional().describe("The taint key the toleration applies to; empty matches all keys."),
  operator: z.enum(["Exists", "Equal"]).optional().describe("Exists or Equal (default Equal)."),
  value: z.string().optional().describe("The taint value the toleration matches."),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional().describe("The taint effect to match; empty matches all."),
  tolerationSeconds: z.int().optional().describe("How long a NoExecute taint is tolerated."),
});

export const tolerationsSchema = z.array(tolerationSchema).max(64).describe("Tolerations of the pods (core/v1).");

/** A free-form object, validated by Kubernetes when the operator uses it (emitted with x-kubernetes-preserve-unknown-fields). */
export function freeForm(description: string) {
  return z.record(z.string(), z.unknown()).describe(description);
}

export const affinitySchema = freeForm("Pod affinity, anti-affinity and node affinity (core/v1 Affinity).");

/** A reference to a key of a Secret in the object's namespace. */
export const secretKeyRefSchema = z.strictObject({
  name: objectName("Name of the Secret, in the same namespace."),
  key: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[-._a-zA-Z0-9]+$/)
    .default("connectionString")
    .describe("Key within the Secret (default connectionString)."),
});

export const storageCredentialsSchema = secretKeyRefSchema.describe(
  "A Secret key holding the storage credentials: an Azure Storage connection string or a SAS token. Credentials are never written inline.",
);
