import { z } from "zod";

/** Azure Batch's retry count: 0..100, or -1 for unlimited retries. */
export function maxTaskRetryCount(description: string) {
  return z
    .int()
    .min(-1, { error: "must be -1 (unlimited) or 0..100" })
    .max(100, { error: "must be -1 (unlimited) or 0..100" })
    .describe(`${description} -1 retries without limit.`);
}

/** Task slots a task needs on a node, or a node offers (1..256). */
export function taskSlots(description: string) {
  return z.int().min(1).max(256).describe(description);
}
