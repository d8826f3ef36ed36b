// The sample against Azurite (AZURITE_CONNECTION_STRING, set by `make test`): upload, then
// what a node does — the start task's copy of the wrapper, and tasks run by their command
// lines — and the results in ocr-results. Names carry a random prefix so runs never collide.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { splitCommandLine } from "../../api/command-line-split.ts";
import { EXIT } from "./ocr-task.ts";
import { CONTAINERS, namedContainer } from "./storage.ts";
import { ocrCommandLine } from "./tasks.ts";
import { WRAPPER_NAME, clearResults, readResults, uploadSample, wrapperScript } from "./upload.ts";

const connectionString = process.env.AZURITE_CONNECTION_STRING;
const skip = connectionString ? false : "AZURITE_CONNECTION_STRING is not set (make test sets it)";
const run = randomBytes(4).toString("hex");
const node = mkdtempSync(join(tmpdir(), "ocr-node-"));
after(async () => {
  rmSync(node, { recursive: true, force: true });
  if (!connectionString) return;
  const images = namedContainer(connectionString, CONTAINERS.images);
  for await (const blob of images.listBlobsFlat({ prefix: `test-${run}/` })) await images.deleteBlob(blob.name);
});

test("the OCR sample runs against Azurite", { skip, timeout: 240_000 }, async (t) => {
  const cs = connectionString!;
  const sample = await uploadSample({ connectionString: cs, prefix: `test-${run}/`, sasMinutes: 10 });

  await t.test("uploads the images under the prefix and the wrapper", async () => {
    const names: string[] = [];
    for await (const blob of namedContainer(cs, CONTAINERS.images).listBlobsFlat({ prefix: `test-${run}/` })) names.push(blob.name);
    assert.deepEqual(names.sort(), sample.images.map((i) => i.blobName).sort());
    const script = await namedContainer(cs, CONTAINERS.tool).getBlobClient(WRAPPER_NAME).downloadToBuffer();
    assert.equal(script.toString(), wrapperScript());
  });

  await t.test("SAS URLs read without other credentials; plain URLs do not", async () => {
    const image = sample.images[0]!;
    assert.equal((await fetch(image.sasUrl!)).status, 200);
    assert.notEqual((await fetch(image.url)).status, 200);
  });

  // The start task: the wrapper from the tesseract container into the shared folder.
  const shared = join(node, "shared");
  mkdirSync(shared);
  await namedContainer(cs, CONTAINERS.tool).getBlobClient(WRAPPER_NAME).downloadToFile(join(shared, WRAPPER_NAME));
  chmodSync(join(shared, WRAPPER_NAME), 0o755);

  const page = sample.images.find((i) => i.text !== null)!;
  const corrupt = sample.images.find((i) => i.text === null)!;
  const cases: Record<string, { commandLine: string; env?: NodeJS.ProcessEnv; code: number; result?: string }> = {
    "SAS URLs on the command line": { commandLine: ocrCommandLine(page.sasUrl!, `${run}-sas`, sample.resultsSasUrl), code: EXIT.ok, result: `${run}-sas.txt` },
    "connection string in the environment": {
      commandLine: ocrCommandLine(page.url, `${run}-cs`),
      env: { AZURE_STORAGE_CONNECTION_STRING: cs },
      code: EXIT.ok,
      result: `${run}-cs.txt`,
    },
    "the corrupt image fails": { commandLine: ocrCommandLine(corrupt.sasUrl!, `${run}-corrupt`, sample.resultsSasUrl), code: EXIT.corruptImage },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const wd = mkdtempSync(join(node, "wd-"));
      const [command, ...args] = splitCommandLine(tc.commandLine);
      const env = { PATH: process.env.PATH, AZ_BATCH_NODE_SHARED_DIR: shared, ...tc.env };
      const r = spawnSync(command!, args, { cwd: wd, env, encoding: "utf8", timeout: 60_000 });
      assert.equal(r.status, tc.code, r.stderr);
      if (tc.code === EXIT.ok) assert.equal(r.stdout.trim(), page.text);
      else assert.match(r.stderr, /corrupt image corrupt\.png/);
    });
  }

  await t.test("results are in ocr-results, and clearResults removes them", async () => {
    const results = await readResults(cs, run);
    assert.deepEqual([...results.keys()].sort(), [`${run}-cs.txt`, `${run}-sas.txt`]);
    for (const text of results.values()) assert.equal(text, `${page.text}\n`);
    await clearResults(cs, run);
    assert.equal((await readResults(cs, run)).size, 0);
  });
});
