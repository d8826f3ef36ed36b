import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { listTaskFiles, resolveTaskFile, taskFilePathProblem } from "./task-files.ts";

describe("taskFilePathProblem", () => {
  const cases: { path: string; problem?: RegExp }[] = [
    { path: "stdout.txt" },
    { path: "wd/out/result.json" },
    { path: "wd/..hidden" },
    { path: "", problem: /empty/ },
    { path: "/etc/passwd", problem: /absolute/ },
    { path: "../other-task/stdout.txt", problem: /leaves the task's folder/ },
    { path: "wd/../../x", problem: /leaves the task's folder/ },
  ];
  for (const c of cases) {
    test(`"${c.path}": ${c.problem ? "refused" : "accepted"}`, () => {
      const problem = taskFilePathProblem(c.path);
      if (c.problem) assert.match(problem ?? "", c.problem);
      else assert.equal(problem, undefined);
    });
  }
});

describe("a task's folder", () => {
  let base: string;
  let dir: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), "task-files-"));
    dir = join(base, "workitems", "j", "job-1", "t");
    await mkdir(join(dir, "wd", "out"), { recursive: true });
    await writeFile(join(dir, "stdout.txt"), "x".repeat(5000));
    await writeFile(join(dir, "stderr.txt"), "");
    await writeFile(join(dir, "wd", "out", "a.bin"), Buffer.alloc(300, 7));
    await writeFile(join(base, "secret"), "not the task's");
    await symlink(join(base, "secret"), join(dir, "wd", "escape"));
    await symlink("out/a.bin", join(dir, "wd", "inside"));
  });
  after(() => rm(base, { recursive: true, force: true }));

  test("lists every entry depth first by name, with sizes; links are listed, not followed", async () => {
    const { entries, truncated } = await listTaskFiles(dir);
    assert.equal(truncated, false);
    assert.deepEqual(
      entries.map((e) => [e.name, e.isDirectory, e.isDirectory ? 0 : e.name.endsWith("escape") || e.name.endsWith("inside") ? "link" : e.size]),
      [
        ["stderr.txt", false, 0],
        ["stdout.txt", false, 5000],
        ["wd", true, 0],
        ["wd/escape", false, "link"],
        ["wd/inside", false, "link"],
        ["wd/out", true, 0],
        ["wd/out/a.bin", false, 300],
      ],
    );
    assert.ok(entries.every((e) => !Number.isNaN(Date.parse(e.modified))));
  });

  test("stops at the limit and says so", async () => {
    const { entries, truncated } = await listTaskFiles(dir, 3);
    assert.equal(entries.length, 3);
    assert.equal(truncated, true);
  });

  const resolves: { path: string; ok?: string; error?: RegExp }[] = [
    { path: "stdout.txt", ok: "stdout.txt" },
    { path: "wd/inside", ok: "wd/out/a.bin" },
    { path: "wd/escape", error: /link that leads out of the task's folder/ },
    { path: "wd/out", error: /a directory/ },
    { path: "wd/missing.txt", error: /no file "wd\/missing.txt"/ },
    { path: "../t/stdout.txt", error: /leaves the task's folder/ },
  ];
  for (const c of resolves) {
    test(`resolves "${c.path}": ${c.ok ? "the file" : "refused"}`, async () => {
      if (c.ok) assert.equal(await resolveTaskFile(dir, c.path), join(dir, c.ok));
      else await assert.rejects(resolveTaskFile(dir, c.path), c.error!);
    });
  }

  test("a task that never ran on the node has no folder", async () => {
    await assert.rejects(listTaskFiles(join(base, "workitems", "j", "job-1", "other")), /not on this node/);
  });
});
