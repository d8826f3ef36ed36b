// The OCR job's tasks, as the Azure Batch sample submits them: task_no_0, task_no_1, … one
// per image, each running the wrapper that the pool's start task put into the shared folder.
import type { TaskInput } from "../../api/task.ts";
import { WRAPPER_NAME } from "./upload.ts";

export interface OcrTaskOptions {
  /** The Job (jobs.kubatch.dev) the task belongs to, e.g. ocr-job-0000000001. */
  jobName: string;
  /** Position of the image: the task's id is task_no_<index>. */
  index: number;
  /** The image: its blob URL (or SAS URL) and the output name (the task writes <name>.txt). */
  image: { url: string; name: string };
  /** Results container URL (typically a SAS URL) passed to the wrapper; without it the wrapper needs AZURE_STORAGE_CONNECTION_STRING. */
  resultsContainerUrl?: string;
  namespace?: string;
  environmentSettings?: { name: string; value?: string }[];
}

/** Quotes a word for /bin/sh (single quotes; URLs and names never contain one). */
function shellWord(word: string): string {
  if (word.includes("'")) throw new Error(`cannot quote ${JSON.stringify(word)} for the task's shell`);
  return `'${word}'`;
}

/** The command line: the shell expands $AZ_BATCH_NODE_SHARED_DIR, the arguments stay literal. */
export function ocrCommandLine(imageUrl: string, name: string, resultsContainerUrl?: string): string {
  const args = [imageUrl, name, ...(resultsContainerUrl ? [resultsContainerUrl] : [])].map(shellWord).join(" ");
  return `/bin/sh -c "\\"$AZ_BATCH_NODE_SHARED_DIR/${WRAPPER_NAME}\\" ${args}"`;
}

/** A Task manifest: metadata.name <job>-task-no-<i> (unique across the work item's jobs), spec.id task_no_<i>. */
export function ocrTaskManifest(options: OcrTaskOptions): TaskInput {
  const { jobName, index, image } = options;
  return {
    apiVersion: "kubatch.dev/v1alpha1",
    kind: "Task",
    metadata: {
      name: `${jobName}-task-no-${index}`,
      ...(options.namespace ? { namespace: options.namespace } : {}),
      labels: { "kubatch.dev/sample": "ocr" },
    },
    spec: {
      jobName,
      id: `task_no_${index}`,
      displayName: `OCR ${image.name}`,
      commandLine: ocrCommandLine(image.url, image.name, options.resultsContainerUrl),
      ...(options.environmentSettings ? { environmentSettings: options.environmentSettings } : {}),
      constraints: { maxWallClockTime: "PT5M", maxTaskRetryCount: 0 },
    },
  };
}
