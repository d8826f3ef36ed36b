// README.md's "Using it" block, run as a new user would type it (the harness has done its
// first two lines: `make cluster-up deploy-local`, and KUBECONFIG points at that cluster):
// every command exits 0, in the default namespace, and the tasks it adds all succeed. A README
// change that breaks the path fails here.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { localCluster, noCluster } from "./support/cluster.ts";
import { run, show } from "./support/run.ts";

const root = join(import.meta.dirname, "..", "..");

/** The shell commands of the README's "Using it" block, comments and the harness's own first two lines left out. */
export function usingItCommands(readme: string): string[] {
  const section = readme.slice(readme.indexOf("## Using it"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  return block
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l !== "" && !l.startsWith("make cluster-up") && !l.startsWith("export KUBECONFIG="));
}

test("README's Using it works as written", { skip: noCluster || (!localCluster() ? "needs the local cluster (bin/kubectl)" : undefined), timeout: 420_000 }, async () => {
  const commands = usingItCommands(readFileSync(join(root, "README.md"), "utf8"));
  assert.ok(commands.length >= 5, `the block: ${commands.join(" | ")}`);
  const env = { ...process.env };
  const sh = (command: string, ms: number) => run("/bin/sh", ["-c", `cd '${root}' && ${command}`], ms, env);
  const outputs: string[] = [];
  try {
    for (const command of commands) {
      const r = await sh(command, 360_000);
      assert.equal(r.code, 0, `${command}\n${show(r)}`);
      outputs.push(r.stdout);
    }
  } finally {
    await sh("bin/kubectl delete --ignore-not-found -f examples/hello/", 120_000);
  }
  const all = outputs.join("\n");
  assert.match(all, /100 tasks: 100 created, 0 existing, 0 failed/);
  assert.match(all, /job hello: all 100 tasks completed in .*: 100 succeeded, 0 failed/);
  assert.match(all, /hello-task-100\s+Completed\s+Success/);
});
