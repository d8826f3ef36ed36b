import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { test } from "node:test";
import { matchOutputFiles } from "./output-file-matches.ts";

// root/outside/secret (a stand-in for the node's service account token), and a task directory
// root/task/{stdout.txt, stdout.txt.1 (its rotated older half), wd/} whose working directory holds files and symlinks the task made.
const root = mkdtempSync(join(tmpdir(), "kubatch-outputs-"));
const taskDir = join(root, "task");
const wd = join(taskDir, "wd");
mkdirSync(join(root, "outside"), { recursive: true });
mkdirSync(join(wd, "out"), { recursive: true });
writeFileSync(join(root, "outside", "secret"), "token");
writeFileSync(join(taskDir, "stdout.txt"), "out");
writeFileSync(join(taskDir, "stdout.txt.1"), "older out");
writeFileSync(join(wd, "out", "a.txt"), "a");
writeFileSync(join(wd, "b.txt"), "b");
symlinkSync(join(root, "outside", "secret"), join(wd, "token.txt"));
symlinkSync(join(root, "outside"), join(wd, "linked-dir"));
symlinkSync(join(wd, "b.txt"), join(wd, "out", "b-link.txt")); // inside: allowed
symlinkSync(join(root, "nowhere"), join(wd, "dangling.txt"));
test.after(() => rmSync(root, { recursive: true, force: true }));

test("matchOutputFiles uploads only what really is inside the task's directory", async (t) => {
  const rel = (p: string) => relative(taskDir, p);
  const cases: Record<string, { pattern: string; files: string[]; refused: string[] }> = {
    "a plain file": { pattern: "b.txt", files: ["wd/b.txt"], refused: [] },
    "the task's stdout.txt, one level up": { pattern: "../std*.txt", files: ["stdout.txt"], refused: [] },
    "stdout.txt with its rotated older half": { pattern: "../stdout.txt*", files: ["stdout.txt", "stdout.txt.1"], refused: [] },
    "a symlink inside the task's directory": { pattern: "out/*.txt", files: ["wd/out/a.txt", "wd/out/b-link.txt"], refused: [] },
    "a symlink to a file outside is refused": { pattern: "token.txt", files: [], refused: ["wd/token.txt"] },
    "a symlinked directory outside is refused": { pattern: "linked-dir/*", files: [], refused: ["wd/linked-dir/secret"] },
    "** finds the escape among good files": { pattern: "*.txt", files: ["wd/b.txt"], refused: ["wd/token.txt"] },
    "climbing out with ..": { pattern: "../../outside/secret", files: [], refused: ["../outside/secret"] },
    "an absolute pattern": { pattern: join(root, "outside", "secret"), files: [], refused: ["../outside/secret"] },
    "the node's service account token": { pattern: "/var/run/secrets/kubernetes.io/serviceaccount/token", files: [], refused: ["/var/run/secrets/kubernetes.io/serviceaccount/token"] },
    "a dangling symlink is nothing": { pattern: "dangling.txt", files: [], refused: [] },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, async () => {
      const m = await matchOutputFiles(tc.pattern, wd, taskDir);
      assert.deepEqual(m.files.map((f) => rel(f.path)).sort(), tc.files);
      assert.deepEqual(m.refused.map((r) => (r.path.startsWith(root) ? rel(r.path) : r.path)).sort(), tc.refused);
      for (const f of m.files) assert.ok(!relative(taskDir, f.real).startsWith(".."), `${f.real} is read, inside the task's directory`);
      for (const r of m.refused) assert.match(r.reason, /outside the task's directory|absolute filePattern/);
    });
  }
});
