// The OCR sample, as `make demo` runs it, with the corrupt image included.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { test } from "node:test";
import { jobWait } from "../../cli/job-wait.ts";
import { runOcrDemo } from "../demo/ocr-demo.ts";
import { repoRoot } from "../../local-cluster/state.ts";
import { kubeConfig, kubectl, noCluster } from "./support/cluster.ts";
import { testNamespace } from "./support/namespace.ts";

const azurite = process.env.AZURITE_CONNECTION_STRING;

test("the OCR sample recognises every image and reports the corrupt one as a failed task", { skip: noCluster ?? (azurite ? undefined : "AZURITE_CONNECTION_STRING is not set"), timeout: 300_000 }, async (t) => {
  const kc = kubeConfig();
  const ns = await testNamespace(kc, "ocr");
  t.after(() => ns.remove());
  let waitCode: number | undefined;
  const result = await runOcrDemo({
    kubeConfig: kc,
    namespace: ns.name,
    connectionString: azurite!,
    withCorrupt: true,
    log: () => {},
    waitForJob: async (job) => void (waitCode = await jobWait([job, "-n", ns.name, "--timeout", "4m"])),
  });
  assert.equal(waitCode, 1, "job wait reports the failed task");
  const failed = result.tasks.filter((x) => x.result !== "Success");
  assert.deepEqual(failed.map((x) => x.image), ["corrupt.png"], failed.map((x) => `${x.image}: ${x.stderrTail}`).join("\n"));
  assert.equal(failed[0]!.exitCode, 4);
  assert.equal(result.resultBlobs, result.tasks.length - 1, "one ocr-results blob per readable image");
  for (const x of result.tasks.filter((y) => y.result === "Success")) {
    assert.equal(x.state, "Completed");
    assert.ok((x.cer ?? 1) <= 0.05, `${x.image}: CER ${x.cer} for "${x.recognised}"`);
  }
  assert.ok(result.totalCer <= 0.05);

  // The failure is visible through kubatch and kubectl.
  const corrupt = failed[0]!.name;
  const { stdout: viaCli } = await promisify(execFile)(join(repoRoot, "bin", "kubatch"), ["task", "output", corrupt, "--stderr", "-n", ns.name], { env: process.env });
  assert.match(viaCli, /corrupt image corrupt\.png/);
  const { stdout: viaKubectl } = await kubectl("-n", ns.name, "get", "ktask", corrupt, "-o", "jsonpath={.status.executionInfo.exitCode} {.status.stderrTail}");
  assert.match(viaKubectl, /^4 [\s\S]*corrupt image corrupt\.png/);
});
