import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fakeExec, job } from "./job-fixtures.ts";
import { JobPreparations, preparationDecision, preparationFailure, preparationTask } from "./job-preparation.ts";
import { JobRecords, parseRecord, recordFileName, type JobRecord } from "./job-record.ts";

test("preparationDecision: run, or what the record says", async (t) => {
  const rec = (nodeId: string, result?: "Success" | "Failure"): Pick<JobRecord, "nodeId" | "preparation"> => ({
    nodeId,
    preparation: result ? { result, exitCode: result === "Success" ? 0 : 1, startTime: "", endTime: "" } : undefined,
  });
  const cases: Record<string, { record?: Pick<JobRecord, "nodeId" | "preparation">; rerun: boolean; want: string }> = {
    "no record: run": { rerun: true, want: "run" },
    "record without preparation (tasks ran, no prep yet): run": { record: rec("n1"), rerun: true, want: "run" },
    "succeeded on this node (agent restart): skip": { record: rec("n1", "Success"), rerun: true, want: "succeeded" },
    "failed on this node: the node stays ineligible": { record: rec("n1", "Failure"), rerun: true, want: "failed" },
    "succeeded before a reboot, rerun true: run": { record: rec("n0", "Success"), rerun: true, want: "run" },
    "succeeded before a reboot, rerun false: skip": { record: rec("n0", "Success"), rerun: false, want: "succeeded" },
    "failed before a reboot, rerun false: run": { record: rec("n0", "Failure"), rerun: false, want: "run" },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => assert.equal(preparationDecision(tc.record, "n1", tc.rerun), tc.want));
  }
});

test("preparationFailure names the exit code, the node and the stderr tail", () => {
  const f = preparationFailure("n1", "jobpreparation", { exitCode: 5, failureCode: "FailureExitCode" }, "boom\n");
  assert.equal(f.code, "JobPreparationTaskFailed");
  assert.equal(f.category, "UserError");
  assert.match(f.message!, /jobpreparation exited with code 5 on node n1.*: boom$/);
  assert.match(preparationFailure("n1", "p", { exitCode: 143, failureCode: "MaxWallClockTimeExpiry" }).message!, /code 143 \(MaxWallClockTimeExpiry\)/);
  assert.match(preparationFailure("n1", "p", { failureCode: "StartFailed" }).message!, /p failed \(StartFailed\)/);
});

test("preparationTask carries the job preparation task's fields", () => {
  const t = preparationTask(job({ jobPreparationTask: { commandLine: "prep", constraints: { maxTaskRetryCount: 2 } } }))!;
  assert.deepEqual({ id: t.id, jobName: t.jobName, commandLine: t.commandLine, retries: t.constraints.maxTaskRetryCount, prep: t.isJobPreparation }, { id: "jobpreparation", jobName: "j", commandLine: "prep", retries: 2, prep: true });
  assert.equal(preparationTask(job()), undefined);
});

test("JobPreparations", async (t) => {
  const cases: Record<string, { spec: object; exitCode: number; tasks: number; wantRuns: number; wantOk: boolean; wantRecord?: "Success" | "Failure" }> = {
    "no preparation task: tasks run, nothing prepared": { spec: {}, exitCode: 0, tasks: 3, wantRuns: 0, wantOk: true },
    "tasks arriving together share one run": { spec: { jobPreparationTask: { commandLine: "prep" } }, exitCode: 0, tasks: 4, wantRuns: 1, wantOk: true, wantRecord: "Success" },
    "a failed preparation fails every waiting task": { spec: { jobPreparationTask: { commandLine: "prep" } }, exitCode: 5, tasks: 3, wantRuns: 1, wantOk: false, wantRecord: "Failure" },
    "waitForSuccess false: tasks start at once, even when it fails": { spec: { jobPreparationTask: { commandLine: "prep", waitForSuccess: false } }, exitCode: 5, tasks: 2, wantRuns: 1, wantOk: true, wantRecord: "Failure" },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, async () => {
      const root = mkdtempSync(join(tmpdir(), "kubatch-prep-"));
      try {
        const { exec, ran } = fakeExec(tc.exitCode, 50);
        const records = new JobRecords(root, "n1");
        const preps = new JobPreparations({ nodeId: "n1", records, exec, log: () => {} });
        const j = job(tc.spec);
        const results = await Promise.all(Array.from({ length: tc.tasks }, () => preps.beforeTask(j, new AbortController().signal)));
        assert.equal(ran.length, tc.wantRuns);
        for (const r of results) {
          assert.equal(r.ok, tc.wantOk);
          if (!r.ok) assert.match(r.failureInfo.message!, /exited with code 5 on node n1/);
        }
        // The record reaches the disk; a new agent (same node pod) neither reruns nor forgets a failure.
        await preps.idle();
        const onDisk = parseRecord(readFileSync(join(root, "workitems", "j", "job-1", recordFileName), "utf8"))!;
        assert.equal(onDisk.ranTasks, true);
        assert.equal(onDisk.preparation?.result, tc.wantRecord);
        const again = fakeExec(0);
        const restarted = new JobPreparations({ nodeId: "n1", records: new JobRecords(root, "n1"), exec: again.exec, log: () => {} });
        const r = await restarted.beforeTask(j, new AbortController().signal);
        assert.equal(again.ran.length, 0, "not run again after an agent restart");
        assert.equal(r.ok, tc.wantOk);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }
});

test("JobPreparations: a task stopped while it waits returns at once; the run goes on for the others", async () => {
  const root = mkdtempSync(join(tmpdir(), "kubatch-prep-"));
  try {
    const { exec, ran } = fakeExec(0, 200);
    const preps = new JobPreparations({ nodeId: "n1", records: new JobRecords(root, "n1"), exec, log: () => {} });
    const j = job({ jobPreparationTask: { commandLine: "prep" } });
    const stopped = new AbortController();
    const first = preps.beforeTask(j, stopped.signal);
    const second = preps.beforeTask(j, new AbortController().signal);
    setTimeout(() => stopped.abort(), 20);
    const t0 = Date.now();
    assert.equal((await first).ok, false);
    assert.ok(Date.now() - t0 < 150, "the stopped task did not wait for the preparation");
    assert.equal((await second).ok, true);
    assert.equal(ran.length, 1);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("JobPreparations: a job created again under the same name is prepared again", async () => {
  const root = mkdtempSync(join(tmpdir(), "kubatch-prep-"));
  try {
    const { exec, ran } = fakeExec(0, 5);
    const preps = new JobPreparations({ nodeId: "n1", records: new JobRecords(root, "n1"), exec, log: () => {} });
    await preps.beforeTask(job({ jobPreparationTask: { commandLine: "prep" } }, "uid-1"), new AbortController().signal);
    await preps.beforeTask(job({ jobPreparationTask: { commandLine: "prep" } }, "uid-2"), new AbortController().signal);
    assert.equal(ran.length, 2);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
