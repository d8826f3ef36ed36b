// A run an earlier agent of the node pod started goes on from its attempts: the retry count
// is exact across agent restarts, and a task whose attempts keep ending with the agent (or
// with the tasks container under it) stops. Such attempts back off like failed ones (the waits
// are recorded here, not waited).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { taskInterrupted } from "../../../api/failure-codes.ts";
import { job } from "./job-fixtures.ts";
import { executeTask, interruptedSettleMs, maxInterruptions, type ExecutionContext } from "./task-execution.ts";
import { runProcess, type Launcher } from "../process/run-process.ts";
import { parseTaskRecord, readTaskRecord, removeTaskRecord, taskRecordFileName, writeTaskRecord } from "./task-record.ts";

const root = mkdtempSync(join(tmpdir(), "kubatch-resume-"));
after(() => rmSync(root, { recursive: true, force: true }));

type Case = {
  name: string;
  resume?: { attempts: number; interruptions: number };
  maxTaskRetryCount: number;
  /** Attempts made here (0 = the first) that end with the tasks container before the process starts. */
  lost?: number[];
  /** Exit codes of the attempts this agent makes, in order (the last one repeats). */
  exits: number[];
  /** waits: before each retry made here, in ms (none for the first retry), and S after each lost attempt. */
  want: { result: "Success" | "Failure"; code?: string; retryCount: number; attemptsHere: number[]; waits?: number[] };
};

/** The wait of an attempt lost with the tasks container, for the agent's own stop (interruptedSettleMs). */
const S = interruptedSettleMs;

const cases: Case[] = [
  { name: "no earlier agent: retried to its limit", maxTaskRetryCount: 2, exits: [1], want: { result: "Failure", code: "FailureExitCode", retryCount: 2, attemptsHere: [0, 1, 2], waits: [1_000] } },
  { name: "first attempt interrupted, retries left: the next attempt is retry 1", resume: { attempts: 1, interruptions: 1 }, maxTaskRetryCount: 2, exits: [0], want: { result: "Success", retryCount: 1, attemptsHere: [1] } },
  { name: "two attempts made, one left", resume: { attempts: 2, interruptions: 1 }, maxTaskRetryCount: 2, exits: [5], want: { result: "Failure", code: "FailureExitCode", retryCount: 2, attemptsHere: [2], waits: [1_000] } },
  { name: "interrupted with no retries: not run again", resume: { attempts: 1, interruptions: 1 }, maxTaskRetryCount: 0, exits: [0], want: { result: "Failure", code: taskInterrupted, retryCount: 0, attemptsHere: [] } },
  { name: "every attempt used: not run again", resume: { attempts: 3, interruptions: 2 }, maxTaskRetryCount: 2, exits: [0], want: { result: "Failure", code: taskInterrupted, retryCount: 2, attemptsHere: [] } },
  { name: "unlimited retries: stops after the interruptions in a row", resume: { attempts: 7, interruptions: maxInterruptions }, maxTaskRetryCount: -1, exits: [0], want: { result: "Failure", code: taskInterrupted, retryCount: 6, attemptsHere: [] } },
  { name: "unlimited retries, fewer interruptions: goes on", resume: { attempts: 7, interruptions: maxInterruptions - 1 }, maxTaskRetryCount: -1, exits: [3, 0], want: { result: "Success", retryCount: 8, attemptsHere: [7, 8], waits: [32_000, 60_000] } },
  { name: "an attempt lost with the tasks container: the next is retry 1", maxTaskRetryCount: 2, lost: [0], exits: [0], want: { result: "Success", retryCount: 1, attemptsHere: [0, 1], waits: [S] } },
  { name: "lost with no retries: not run again", maxTaskRetryCount: 0, lost: [0], exits: [0], want: { result: "Failure", code: taskInterrupted, retryCount: 0, attemptsHere: [0], waits: [S] } },
  { name: "unlimited retries: lost attempts in a row end the task", maxTaskRetryCount: -1, lost: [0, 1, 2], exits: [0], want: { result: "Failure", code: taskInterrupted, retryCount: 2, attemptsHere: [0, 1, 2], waits: [S, S, 1_000, S] } },
  { name: "an exit code between lost attempts starts the row again", maxTaskRetryCount: -1, lost: [0, 1, 3, 4], exits: [1, 0], want: { result: "Success", retryCount: 5, attemptsHere: [0, 1, 2, 3, 4, 5], waits: [S, S, 1_000, 2_000, S, 4_000, S, 8_000] } },
  { name: "a resumed run's lost attempts continue its row", resume: { attempts: 1, interruptions: 1 }, maxTaskRetryCount: -1, lost: [0, 1], exits: [0], want: { result: "Failure", code: taskInterrupted, retryCount: 2, attemptsHere: [1, 2], waits: [S, 1_000, S] } },
];

describe("executeTask resumes an interrupted run", () => {
  for (const [i, c] of cases.entries()) {
    test(c.name, async () => {
      const node = { rootDir: join(root, `n${i}`), poolId: "p", nodeId: "n1", isDedicated: true };
      const counter = join(root, `count-${i}`);
      // Attempt k exits with exits[k] (the last repeats): the count of lines says which attempt this is.
      const script = `n=$(cat ${counter} 2>/dev/null | wc -l); echo x >> ${counter}; set -- ${c.exits.join(" ")}; shift $(( n < $# ? n : $# - 1 )); exit $1`;
      const attemptsHere: number[] = [];
      const waits: number[] = [];
      // The runner's side, here: PATH from its own environment; a lost attempt never starts.
      const launch: Launcher = async (o) =>
        c.lost?.includes(attemptsHere.length - 1)
          ? { exitCode: 1, startTime: new Date(), endTime: new Date(), failure: { code: "Interrupted", message: "the tasks container restarted" } }
          : runProcess({ ...o, env: { PATH: process.env.PATH, ...o.env } });
      const ctx: ExecutionContext = {
        node,
        launch,
        secret: async () => undefined,
        resume: c.resume ? { ...c.resume, startTime: new Date(Date.now() - 60_000) } : undefined,
        onAttempt: async (retryCount) => void attemptsHere.push(retryCount),
        sleep: async (ms) => void waits.push(ms),
      };
      const out = await executeTask({ jobName: "j", id: "t", commandLine: `/bin/sh -c "${script}"`, constraints: { maxTaskRetryCount: c.maxTaskRetryCount } }, job(), ctx);
      assert.deepEqual({ result: out.result, code: out.failureInfo?.code, retryCount: out.retryCount, attemptsHere, waits }, { code: undefined, waits: [], ...c.want });
      assert.equal(existsSync(counter) ? readFileSync(counter, "utf8").split("\n").filter(Boolean).length : 0, c.want.attemptsHere.length - (c.lost?.length ?? 0), "processes started");
      if (c.resume) assert.ok(Date.now() - out.startTime.getTime() >= 60_000, "the run's start time is the first attempt's");
      if (out.failureInfo?.code === taskInterrupted) assert.match(out.failureInfo.message ?? "", /ended with the node's containers/);
    });
  }
});

describe("task records", () => {
  test("a record belongs to one task uid and one assignment", async () => {
    const dir = join(root, "records", "t");
    await writeTaskRecord(dir, { uid: "u1", assignment: "a1", attempts: 1, interruptions: 0, startTime: "2026-01-01T00:00:00Z" });
    assert.equal((await readTaskRecord(dir, "u1", "a1"))?.attempts, 1);
    assert.equal(await readTaskRecord(dir, "u2", "a1"), undefined, "a task created again under the same name");
    assert.equal(await readTaskRecord(dir, "u1", "a2"), undefined, "requeued and assigned here again");
    await removeTaskRecord(dir);
    assert.equal(await readTaskRecord(dir, "u1", "a1"), undefined);
    assert.equal(existsSync(join(dir, taskRecordFileName)), false);
  });
  test("a torn or foreign file is no record", () => {
    for (const text of ["", "{", "null", "[]", '{"uid":"u"}', '{"uid":"u","assignment":"a","attempts":"1","interruptions":0}']) assert.equal(parseTaskRecord(text), undefined, text);
  });
});
