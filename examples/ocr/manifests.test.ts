// pool.yaml, work-item.yaml and the task builder against the API's zod schemas, and the
// task command line as the task-runner splits it (no shell expansion before /bin/sh).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { loadYaml } from "@kubernetes/client-node";
import { parsePool } from "../../api/pool.ts";
import { parseTask } from "../../api/task.ts";
import { parseWorkItem } from "../../api/work-item.ts";
import { splitCommandLine } from "../../api/command-line-split.ts";
import { ocrCommandLine, ocrTaskManifest } from "./tasks.ts";

const manifest = (file: string) => loadYaml(readFileSync(new URL(file, import.meta.url), "utf8"));
const withMeta = (o: unknown) => ({ ...(o as object), metadata: { ...(o as { metadata: object }).metadata, namespace: "default" } });

test("the sample's manifests are valid", async (t) => {
  const cases: Record<string, () => { ok: boolean; problems?: unknown }> = {
    "pool.yaml": () => parsePool(withMeta(manifest("./pool.yaml"))),
    "work-item.yaml": () => parseWorkItem(withMeta(manifest("./work-item.yaml"))),
    "a task from ocrTaskManifest": () =>
      parseTask(withMeta(ocrTaskManifest({ jobName: "ocr-job-0000000001", index: 3, image: { url: "http://127.0.0.1:10000/devstoreaccount1/images/ocr/page-4.png", name: "page-4" } }))),
  };
  for (const [name, parse] of Object.entries(cases)) {
    await t.test(name, () => {
      const result = parse();
      assert.ok(result.ok, JSON.stringify(result.problems));
    });
  }
});

test("the start task copies the wrapper from the tesseract container into the shared folder", () => {
  const pool = manifest("./pool.yaml") as { spec: { startTask: { commandLine: string; resourceFiles: object[] } } };
  assert.deepEqual(pool.spec.startTask.resourceFiles[0], { autoStorageContainerName: "tesseract", blobPrefix: "tesseract-wrapper", filePath: "tools", fileMode: "0755" });
  assert.match(splitCommandLine(pool.spec.startTask.commandLine).at(-1)!, /cp tools\/tesseract-wrapper "\$AZ_BATCH_NODE_SHARED_DIR\/"/);
});

test("ocrTaskManifest names and command lines", async (t) => {
  const task = ocrTaskManifest({ jobName: "ocr-job-0000000001", index: 0, image: { url: "http://h/images/page-1.png", name: "page-1" } });
  await t.test("names", () => {
    assert.equal(task.metadata.name, "ocr-job-0000000001-task-no-0");
    assert.equal(task.spec.id, "task_no_0");
    assert.equal(task.spec.jobName, "ocr-job-0000000001");
  });
  const cases: Record<string, { args: [string, string, string?]; script: string }> = {
    "blob URL": { args: ["http://h/images/page-1.png", "page-1"], script: `"$AZ_BATCH_NODE_SHARED_DIR/tesseract-wrapper" 'http://h/images/page-1.png' 'page-1'` },
    "SAS URLs keep & and %": {
      args: ["http://h/i/p.png?sv=1&sig=a%2Bb", "p", "http://h/ocr-results?sp=rcw&sig=c"],
      script: `"$AZ_BATCH_NODE_SHARED_DIR/tesseract-wrapper" 'http://h/i/p.png?sv=1&sig=a%2Bb' 'p' 'http://h/ocr-results?sp=rcw&sig=c'`,
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => assert.deepEqual(splitCommandLine(ocrCommandLine(...tc.args)), ["/bin/sh", "-c", tc.script]));
  }
  await t.test("a quote in a URL is refused", () => assert.throws(() => ocrCommandLine("http://h/it's.png", "x"), /cannot quote/));
});
