import { z } from "zod";
import { commandLine } from "./command-line.ts";
import { environmentSettings } from "./environment.ts";
import { resourceFiles } from "./resource-file.ts";
import { maxTaskRetryCount } from "./retry.ts";

/** Prepares each node once when it joins the pool (Azure Batch StartTask); runs as the node pod's init containers. */
export const startTaskSchema = z
  .strictObject({
    commandLine: commandLine("The start task's command line, run in $AZ_BATCH_NODE_STARTUP_DIR/wd."),
    resourceFiles: resourceFiles("Files downloaded into the start task's working directory before it runs."),
    environmentSettings: environmentSettings("Environment variables of the start task."),
    waitForSuccess: z
      .boolean()
      .default(true)
      .describe("Whether tasks wait for the start task to succeed before being scheduled on the node (default true)."),
    maxTaskRetryCount: maxTaskRetryCount("How many times the start task is retried when it exits non-zero (default 0).").default(0),
  })
  .describe("Prepares each node when it joins the pool (runs as the node pod's init containers).");

export type StartTask = z.infer<typeof startTaskSchema>;
