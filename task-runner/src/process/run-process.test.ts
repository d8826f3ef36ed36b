import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runProcess } from "./run-process.ts";

test("runProcess reports exit codes, output and failures", async (t) => {
  const cases: Record<string, { commandLine: string; maxWallClockMs?: number; exitCode: number; failure?: string; stdout?: string; stderr?: RegExp }> = {
    "success with output": { commandLine: `/bin/sh -c "echo out; echo err >&2"`, exitCode: 0, stdout: "out\n", stderr: /^err\n$/ },
    "non-zero exit": { commandLine: "/bin/sh -c 'exit 42'", exitCode: 42 },
    "killed by a signal": { commandLine: "/bin/sh -c 'kill -9 $$'", exitCode: 137 },
    // Azure Batch's stdout.txt and stderr.txt exist from the task's start: a command that looks finds both (cwd is wd/).
    "both output files exist when the command starts": { commandLine: "/bin/sh -c 'test -f ../stdout.txt && test -f ../stderr.txt && echo both'", exitCode: 0, stdout: "both\n" },
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

/** A child that writes lines 0..lines-1 (8 bytes each) to stdout and to stderr, as fast as it can. */
const printer = (lines: number) =>
  `${process.execPath} -e 'let s = ""; for (let i = 0; i < ${lines}; i++) s += String(i).padStart(7, "0") + "\\n"; process.stdout.write(s); process.stderr.write(s)'`;
const printed = (lines: number) => Array.from({ length: lines }, (_, i) => String(i).padStart(7, "0") + "\n").join("");
const kept = (path: string) => (existsSync(`${path}.1`) ? readFileSync(`${path}.1`, "utf8") : "") + readFileSync(path, "utf8");

test("a child printing past the output cap runs to its end; the newest output stays, and stderr says what was dropped", { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "kubatch-run-"));
  try {
    const maxOutputBytes = 64 * 1024;
    const lines = 256 * 1024; // 2 MiB on each stream
    const r = await runProcess({ commandLine: printer(lines), cwd: dir, outputDir: dir, env: process.env, maxOutputBytes });
    assert.equal(r.exitCode, 0, "not blocked nor killed");
    const out = kept(join(dir, "stdout.txt"));
    assert.ok(out.length <= maxOutputBytes && out.length >= maxOutputBytes / 2, `${out.length} bytes of stdout kept`);
    assert.ok(printed(lines).endsWith(out), "stdout.txt.1 then stdout.txt: the newest output, in order");
    assert.ok(out.endsWith(`${String(lines - 1).padStart(7, "0")}\n`));
    const err = kept(join(dir, "stderr.txt"));
    assert.ok(err.length <= maxOutputBytes);
    const [childErr, note] = [err.slice(0, err.lastIndexOf("kubatch: ")), err.slice(err.lastIndexOf("kubatch: "))];
    assert.ok(printed(lines).endsWith(childErr), "the child's newest stderr comes before the note");
    assert.match(note, new RegExp(`^kubatch: ${lines * 8 - out.length} bytes of stdout\\.txt dropped, the oldest: stdout\\.txt and stdout\\.txt\\.1 keep the newest 65536 bytes \\(KUBATCH_TASK_OUTPUT_MAX_BYTES of the node's tasks container\\); \\d+ bytes of stderr\\.txt dropped, [^\\n]*\\n$`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a retry writes on under the same cap: the attempts together stay within it", { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "kubatch-run-"));
  try {
    const maxOutputBytes = 4096;
    for (let attempt = 0; attempt < 3; attempt++) {
      await runProcess({ commandLine: printer(300), cwd: dir, outputDir: dir, env: process.env, maxOutputBytes });
      const out = kept(join(dir, "stdout.txt"));
      assert.ok(out.length <= maxOutputBytes, `after attempt ${attempt}`);
      if (attempt > 0) assert.ok(out.length > printed(300).length, "the newest of the attempt before is still there");
      assert.ok(kept(join(dir, "stderr.txt")).length <= maxOutputBytes, `after attempt ${attempt}`);
    }
    assert.ok(kept(join(dir, "stdout.txt")).endsWith(printed(300).slice(-2048)), "the last attempt's newest output");
    assert.match(readFileSync(join(dir, "stderr.txt"), "utf8"), /\nkubatch: \d+ bytes of stdout\.txt dropped.*\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
