import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runProcess } from "./run-process.ts";

test("runProcess reports exit codes, output and failures", async (t) => {
  const cases: Record<string, { commandLine: string; maxWallClockMs?: number; exitCode: number; failure?: string; stdout?: string; stderr?: RegExp }> = {
    "success with output": { commandLine: `/bin/sh -c "echo out; echo err >&2"`, exitCode: 0, stdout: "out\n", stderr: /^err\n$/ },
    "non-zero exit": { commandLine: "/bin/sh -c 'exit 42'", exitCode: 42 },
    "killed by a signal": { commandLine: "/bin/sh -c 'kill -9 $$'", exitCode: 137 },
    "missing program": { commandLine: "no-such-program-kubatch", exitCode: 127, failure: "CommandNotFound", stderr: /command not found/ },
    "invalid command line": { commandLine: `echo "unterminated`, exitCode: 1, failure: "CommandLineInvalid" },
    "wall clock exceeded stops the whole group": { commandLine: "/bin/sh -c 'sleep 30 & sleep 30'", maxWallClockMs: 300, exitCode: 143, failure: "MaxWallClockTimeExceeded" },
    // Node alone fires a timeout over 2^31-1 ms after 1 ms: these killed the task at once.
    "a 30-day wall clock lets it run": { commandLine: "/bin/sh -c 'sleep 0.3; echo done'", maxWallClockMs: 30 * 86_400_000, exitCode: 0, stdout: "done\n" },
    "Azure's unlimited wall clock lets it run": { commandLine: "/bin/sh -c 'sleep 0.3; echo done'", maxWallClockMs: 922_337_203_685_477.5807, exitCode: 0, stdout: "done\n" },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, async () => {
      const dir = mkdtempSync(join(tmpdir(), "kubatch-run-"));
      try {
        const r = await runProcess({ commandLine: tc.commandLine, cwd: join(dir, "wd"), outputDir: dir, env: process.env, maxWallClockMs: tc.maxWallClockMs, killGraceMs: 500 });
        assert.equal(r.exitCode, tc.exitCode);
        assert.equal(r.failure?.code, tc.failure);
        assert.ok(r.endTime >= r.startTime);
        if (tc.stdout !== undefined) assert.equal(readFileSync(join(dir, "stdout.txt"), "utf8"), tc.stdout);
        if (tc.stderr) assert.match(readFileSync(join(dir, "stderr.txt"), "utf8"), tc.stderr);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

// Regression: waiting for the output files to close used to miss a close that had already
// happened, leaving nothing to keep Node alive, so the runner exited 0 mid-way.
test("many short processes in a row all complete", { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "kubatch-run-"));
  try {
    for (let i = 0; i < 40; i++) {
      const r = await runProcess({ commandLine: "/bin/sh -c 'exit 3'", cwd: dir, outputDir: dir, env: process.env });
      assert.equal(r.exitCode, 3);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
