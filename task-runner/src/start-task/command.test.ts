import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startTaskCommand } from "./command.ts";

test("the start task runs in startup/wd with the node environment, retried up to its limit", async (t) => {
  const cases: Record<string, { commandLine: string; retries: string; want: number; stdout?: RegExp; stderr?: RegExp; attempts?: number }> = {
    "success, with AZ_BATCH_* and no runner variables": {
      commandLine: `/bin/sh -c "pwd; echo $AZ_BATCH_POOL_ID/$AZ_BATCH_NODE_ID $AZ_BATCH_NODE_SHARED_DIR $WATASK_TVM_ROOT_DIR; echo runner=\${KUBATCH_COMMAND_LINE:-none}; echo custom=$CUSTOM"`,
      retries: "0",
      want: 0,
      stdout: /\/startup\/wd\npool-a\/node-1 .*\/shared .*\nrunner=none\ncustom=yes\n/,
    },
    "failure retried once then reported with its exit code": { commandLine: `/bin/sh -c "echo try >&2; exit 3"`, retries: "1", want: 3, stderr: /^try\ntry\n$/ },
    "a missing program exits 127 and says so": { commandLine: "/no/such/program --flag", retries: "0", want: 127, stderr: /\/no\/such\/program: command not found/ },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, async () => {
      const root = mkdtempSync(join(tmpdir(), "kubatch-node-"));
      try {
        const code = await startTaskCommand([], {
          PATH: process.env.PATH,
          AZ_BATCH_NODE_ROOT_DIR: root,
          AZ_BATCH_POOL_ID: "pool-a",
          AZ_BATCH_NODE_ID: "node-1",
          KUBATCH_COMMAND_LINE: tc.commandLine,
          KUBATCH_MAX_TASK_RETRY_COUNT: tc.retries,
          CUSTOM: "yes",
        });
        assert.equal(code, tc.want);
        if (tc.stdout) assert.match(readFileSync(join(root, "startup", "stdout.txt"), "utf8"), tc.stdout);
        if (tc.stderr) assert.match(readFileSync(join(root, "startup", "stderr.txt"), "utf8"), tc.stderr);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }
});
