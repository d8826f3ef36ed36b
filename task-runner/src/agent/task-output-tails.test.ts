// The tails a task's status reports are its newest output, also when the output passed the
// cap and was rotated (the current stdout.txt then may hold only a few bytes).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { job } from "./job-fixtures.ts";
import { executeTask } from "./task-execution.ts";
import { runProcess } from "../process/run-process.ts";

const root = mkdtempSync(join(tmpdir(), "kubatch-tails-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** Lines 0..n-1, 8 bytes each, to stdout and stderr. */
const printer = (lines: number) =>
  `${process.execPath} -e 'let s = ""; for (let i = 0; i < ${lines}; i++) s += String(i).padStart(7, "0") + "\\n"; process.stdout.write(s); process.stderr.write(s)'`;
const printed = (lines: number) => Array.from({ length: lines }, (_, i) => String(i).padStart(7, "0") + "\n").join("");

test("executeTask reports the newest KiB of stdout and stderr", async (t) => {
  const cases: Record<string, { commandLine: string; maxOutputBytes?: number; stdoutTail?: string; stderrTail?: RegExp }> = {
    "under the cap: the file's last KiB": { commandLine: printer(400), stdoutTail: printed(400).slice(-1024), stderrTail: /^[\d\n]+$/ },
    // 770 lines are 6160 bytes: three 2048-byte halves, then 16 bytes in stdout.txt.
    "just after a rotation: reaches into stdout.txt.1": { commandLine: printer(770), maxOutputBytes: 4096, stdoutTail: printed(770).slice(-1024), stderrTail: /\nkubatch: 4096 bytes of stdout\.txt dropped, [^\n]*\n$/ },
    "nothing printed: no tails": { commandLine: "/bin/sh -c 'exit 0'" },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, async () => {
      const node = { rootDir: join(root, name.replace(/\W+/g, "-")), poolId: "p", nodeId: "n1", isDedicated: true };
      const out = await executeTask({ jobName: "j", id: "t", commandLine: tc.commandLine, constraints: {} }, job(), {
        node,
        // The runner's side: it applies its container's cap.
        launch: (o) => runProcess({ ...o, maxOutputBytes: tc.maxOutputBytes }),
        secret: async () => undefined,
      });
      assert.equal(out.result, "Success");
      assert.equal(out.stdoutTail, tc.stdoutTail);
      if (tc.stderrTail) assert.match(out.stderrTail ?? "", tc.stderrTail);
      else assert.equal(out.stderrTail, undefined);
      if (out.stderrTail) assert.ok(Buffer.byteLength(out.stderrTail) <= 1024);
    });
  }
});
