// The Azure Batch OCR sample on kubatch, as a function the demo and the e2e suite share:
// upload the images and the tesseract wrapper to blob storage, create the pool (its start
// task copies the wrapper into the shared folder) and the work item, add one task per image
// to the work item's job, wait for them all, and read back the recognised text.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CoreV1Api, CustomObjectsApi, KubeConfig, loadYaml } from "@kubernetes/client-node";
import { mergePatch } from "../../kube/apply.ts";
import type { TaskStatus } from "../../api/task.ts";
import { jobName } from "../../operator/src/work-item/schedule.ts";
import { characterErrorRate, totalCharacterErrorRate } from "../../examples/ocr/cer.ts";
import { CORRUPT_IMAGE } from "../../examples/ocr/make-images.ts";
import { ocrTaskManifest } from "../../examples/ocr/tasks.ts";
import { clearResults, loadSampleImages, readResults, uploadSample } from "../../examples/ocr/upload.ts";
import { waitFor } from "../../local-cluster/probe.ts";
import { autoStorageSecret } from "../../local-cluster/deploy-local.ts";
import { repoRoot } from "../../local-cluster/state.ts";

const group = "kubatch.dev";
const version = "v1alpha1";

export type OcrDemoOptions = {
  kubeConfig: KubeConfig;
  namespace: string;
  connectionString: string;
  /** Include the corrupt image: its task fails, the others succeed. */
  withCorrupt?: boolean;
  log: (line: string) => void;
  /** Waits for the job's tasks, showing progress (the CLI's `job wait`). */
  waitForJob: (job: string) => Promise<void>;
};

export type OcrTaskResult = { taskId: string; name: string; image: string; state?: string; exitCode?: number; result?: string; node?: string; expected: string | null; recognised?: string; cer?: number; stderrTail?: string };

export type OcrDemoResult = { job: string; tasks: OcrTaskResult[]; totalCer: number; resultBlobs: number };

function manifest(file: string, namespace: string): Record<string, unknown> {
  const obj = loadYaml(readFileSync(join(repoRoot, "examples", "ocr", file), "utf8")) as Record<string, unknown> & { metadata: Record<string, unknown> };
  return { ...obj, metadata: { ...obj.metadata, namespace } };
}

export async function runOcrDemo(opts: OcrDemoOptions): Promise<OcrDemoResult> {
  const { kubeConfig: kc, namespace, connectionString, log } = opts;
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);

  await core.readNamespace({ name: namespace }).catch(() => core.createNamespace({ body: { metadata: { name: namespace } } }));
  // The pool's start task fetches the wrapper with autoStorageContainerName: the operator
  // resolves it through this Secret (the storage account's connection string).
  await core.deleteNamespacedSecret({ name: autoStorageSecret, namespace }).catch(() => undefined);
  await core.createNamespacedSecret({ namespace, body: { metadata: { name: autoStorageSecret }, stringData: { connectionString } } });

  const images = loadSampleImages().filter((i) => opts.withCorrupt || i.file !== CORRUPT_IMAGE);
  log(`Uploading ${images.length} images and the tesseract wrapper to blob storage`);
  await clearResults(connectionString);
  const sample = await uploadSample({ connectionString, images, sasMinutes: 120 });

  for (const [plural, file] of [["pools", "pool.yaml"], ["workitems", "work-item.yaml"]] as const) {
    const body = manifest(file, namespace);
    const name = (body.metadata as { name: string }).name;
    await custom.deleteNamespacedCustomObject({ group, version, namespace, plural, name }).catch(() => undefined);
    await waitFor(`the previous ${plural} ${name} to go`, 120_000, async () => !(await custom.getNamespacedCustomObject({ group, version, namespace, plural, name }).catch(() => undefined)));
    await custom.createNamespacedCustomObject({ group, version, namespace, plural, body });
    log(`Created ${plural.slice(0, -1)} ${name}`);
  }
  const job = jobName("ocr", 1);
  await waitFor(`job ${job} from the work item`, 60_000, async () => Boolean(await custom.getNamespacedCustomObject({ group, version, namespace, plural: "jobs", name: job }).catch(() => undefined)));
  log(`Work item ocr created job ${job}; waiting for the pool's nodes (start task: copy the wrapper into the shared folder)`);
  await waitFor("pool ocr-pool to have usable nodes", 180_000, async () => {
    const pool = (await custom.getNamespacedCustomObject({ group, version, namespace, plural: "pools", name: "ocr-pool" })) as { status?: { nodeCounts?: { idle?: number; running?: number } } };
    return (pool.status?.nodeCounts?.idle ?? 0) + (pool.status?.nodeCounts?.running ?? 0) > 0;
  });

  log(`Adding ${sample.images.length} tasks (task_no_0 … task_no_${sample.images.length - 1})`);
  const tasks = sample.images.map((image, index) => ocrTaskManifest({ jobName: job, index, namespace, image: { url: image.sasUrl ?? image.url, name: image.name }, resultsContainerUrl: sample.resultsSasUrl }));
  await Promise.all(tasks.map((body) => custom.createNamespacedCustomObject({ group, version, namespace, plural: "tasks", body })));
  // As in the Azure Batch samples: the job ends once its tasks, all added now, are done.
  await custom.patchNamespacedCustomObject({ group, version, namespace, plural: "jobs", name: job, body: { spec: { onAllTasksComplete: "TerminateJob" } } }, mergePatch);
  await opts.waitForJob(job);

  const results = await readResults(connectionString);
  const out: OcrTaskResult[] = [];
  for (const [index, image] of sample.images.entries()) {
    const t = (await custom.getNamespacedCustomObject({ group, version, namespace, plural: "tasks", name: tasks[index]!.metadata.name! })) as { status?: TaskStatus };
    const recognised = results.get(`${image.name}.txt`);
    out.push({
      taskId: `task_no_${index}`,
      name: tasks[index]!.metadata.name!,
      image: image.file,
      state: t.status?.state,
      exitCode: t.status?.executionInfo?.exitCode,
      result: t.status?.executionInfo?.result,
      node: t.status?.nodeInfo?.nodeId,
      expected: image.text,
      recognised,
      cer: recognised !== undefined && image.text !== null ? characterErrorRate(recognised, image.text) : undefined,
      stderrTail: t.status?.stderrTail,
    });
  }
  const pages = out.filter((t) => t.recognised !== undefined && t.expected !== null).map((t) => ({ recognised: t.recognised!, expected: t.expected! }));
  return { job, tasks: out, totalCer: pages.length > 0 ? totalCharacterErrorRate(pages) : 1, resultBlobs: results.size };
}
