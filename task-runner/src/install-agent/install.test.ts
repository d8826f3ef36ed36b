import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { installAgent, mappedLibraries, sonameOf } from "./install.ts";

test("library files are found by their sonames", () => {
  const cases = { "libstdc++.so.6.0.30": "libstdc++.so.6", "libc.so.6": "libc.so.6", "ld-linux-x86-64.so.2": "ld-linux-x86-64.so.2", "libfoo.so.1.2": "libfoo.so.1", "libbar.so": "libbar.so" };
  for (const [file, want] of Object.entries(cases)) assert.equal(sonameOf(file), want, file);
});

test("the mapped shared objects, the dynamic loader found among them", () => {
  const maps = [
    "55d0 r-xp 0 08:01 1 /usr/local/bin/node",
    "7f00 r-xp 0 08:01 2 /usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30",
    "7f01 r-xp 0 08:01 3 /usr/lib/x86_64-linux-gnu/libc.so.6",
    "7f02 r-xp 0 08:01 3 /usr/lib/x86_64-linux-gnu/libc.so.6",
    "7f03 r-xp 0 08:01 4 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
    "7f04 rw-p 0 00:00 0 [heap]",
  ].join("\n");
  assert.deepEqual(mappedLibraries(maps), {
    loader: "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
    libs: ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"],
  });
  assert.throws(() => mappedLibraries("55d0 r-xp 0 08:01 1 /usr/local/bin/node"), /no dynamic loader/);
});

test("the installed agent runs through its own loader and libraries", { timeout: 60_000 }, () => {
  const dest = mkdtempSync(join(tmpdir(), "install-agent-"));
  // A small app root (the image's is /opt/kubatch): the entry point and what it imports statically, no mode.
  const app = mkdtempSync(join(tmpdir(), "install-agent-app-"));
  mkdirSync(join(app, "task-runner", "src"), { recursive: true });
  mkdirSync(join(app, "kube"));
  copyFileSync(join(import.meta.dirname, "..", "main.ts"), join(app, "task-runner", "src", "main.ts"));
  copyFileSync(join(import.meta.dirname, "..", "..", "..", "kube", "exit.ts"), join(app, "kube", "exit.ts"));
  writeFileSync(join(app, "package.json"), JSON.stringify({ type: "module" }));
  try {
    installAgent(dest, app);
    // The same command the node's containers run (api/node-contract.ts), without a mode: usage, exit 2.
    const out = execFileSync(join(dest, "lib", "ld.so"), ["--library-path", join(dest, "lib"), join(dest, "bin", "node"), "-e", "console.log(process.version)"], { encoding: "utf8" });
    assert.equal(out.trim(), process.version);
    let code = 0;
    try {
      execFileSync(join(dest, "lib", "ld.so"), ["--library-path", join(dest, "lib"), join(dest, "bin", "node"), join(dest, "app", "task-runner", "src", "main.ts")], { stdio: "pipe" });
    } catch (err) {
      code = (err as { status: number }).status;
    }
    assert.equal(code, 2, "the task-runner's usage: its code is there");
  } finally {
    rmSync(dest, { recursive: true, force: true });
    rmSync(app, { recursive: true, force: true });
  }
});
