import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { completedInfo, readStartTaskInfo, startTaskInfoPath, writeStartTaskInfo } from "./start-task-info.ts";
import { runStartTask } from "./command.ts";
import type { StartTaskInfo } from "../../../api/pool.ts";

const root = mkdtempSync(join(tmpdir(), "kubatch-start-info-"));
after(() => rmSync(root, { recursive: true, force: true }));
const t0 = new Date("2026-12-07T12:00:00.000Z");
const t1 = new Date("2026-12-07T12:00:02.000Z");

test("an attempt's end as startTaskInfo", () => {
  const cases: [string, Parameters<typeof completedInfo>, StartTaskInfo][] = [
    ["success", [{ exitCode: 0, startTime: t0, endTime: t1 }, 0, "noise on stderr"], { state: "Completed", startTime: t0.toISOString(), endTime: t1.toISOString(), exitCode: 0, retryCount: 0, result: "Success" }],
    [
      "a failure: the exit code and the stderr tail",
      [{ exitCode: 3, startTime: t0, endTime: t1 }, 2, "apt-get: no network\n"],
      { state: "Completed", startTime: t0.toISOString(), endTime: t1.toISOString(), exitCode: 3, retryCount: 2, result: "Failure", failureInfo: { category: "UserError", code: "FailureExitCode", message: "the start task exited with code 3: apt-get: no network" } },
    ],
    [
      "a command that does not exist: the runner's reason",
      [{ exitCode: 127, startTime: t0, endTime: t1, failure: { code: "CommandNotFound", message: "setup.sh: command not found" } }, 0, ""],
      { state: "Completed", startTime: t0.toISOString(), endTime: t1.toISOString(), exitCode: 127, retryCount: 0, result: "Failure", failureInfo: { category: "UserError", code: "FailureExitCode", message: "CommandNotFound: setup.sh: command not found" } },
    ],
  ];
  for (const [name, args, want] of cases) assert.deepEqual(completedInfo(...args), want, name);
});

test("the record round-trips through its file; a missing or foreign file reads as none", async () => {
  const path = startTaskInfoPath(root);
  assert.equal(await readStartTaskInfo(path), undefined);
  await writeStartTaskInfo(path, { state: "Running", startTime: t0.toISOString(), retryCount: 0 });
  assert.deepEqual(await readStartTaskInfo(path), { state: "Running", startTime: t0.toISOString(), retryCount: 0 });
  writeFileSync(path, '{"state":"Sleeping"}');
  assert.equal(await readStartTaskInfo(path), undefined);
});

test("runStartTask reports each attempt's start and the end", async () => {
  const node = join(root, "node");
  const seen: StartTaskInfo[] = [];
  const code = await runStartTask(`/bin/sh -c "echo cannot reach the mirror >&2; exit 4"`, 1, { PATH: process.env.PATH, AZ_BATCH_NODE_ROOT_DIR: node, AZ_BATCH_POOL_ID: "p", AZ_BATCH_NODE_ID: "n" }, {}, async (info) => void seen.push(info));
  assert.equal(code, 4);
  assert.deepEqual(seen.map((s) => [s.state, s.retryCount, s.exitCode, s.result]), [["Running", 0, undefined, undefined], ["Running", 1, undefined, undefined], ["Completed", 1, 4, "Failure"]]);
  assert.match(seen[2]!.failureInfo!.message!, /^the start task exited with code 4: cannot reach the mirror\ncannot reach the mirror$/);
});
