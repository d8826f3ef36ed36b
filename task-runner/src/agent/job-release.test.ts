import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { EventKind } from "../../../kube/informer.ts";
import { fakeExec, job } from "./job-fixtures.ts";
import { JobPreparations } from "./job-preparation.ts";
import { JobRecords, type JobRecord } from "./job-record.ts";
import { JobReleases, jobEnded, releaseDue, releaseTask } from "./job-release.ts";

const withRelease = { jobReleaseTask: { commandLine: "release" } };

test("jobEnded and releaseDue", async (t) => {
  const run = { result: "Success" as const, startTime: "", endTime: "" };
  const cases: Record<string, { kind?: EventKind; state?: string; spec?: object; record?: Pick<JobRecord, "ranTasks" | "preparation" | "release">; ended: boolean; due: boolean }> = {
    "active job": { state: "Active", spec: withRelease, record: { ranTasks: true }, ended: false, due: true },
    "terminating is not the end yet": { state: "Terminating", spec: withRelease, record: { ranTasks: true }, ended: false, due: true },
    "completed, ran tasks here": { state: "Completed", spec: withRelease, record: { ranTasks: true }, ended: true, due: true },
    "completed, only the preparation ran here": { state: "Completed", spec: withRelease, record: { preparation: run }, ended: true, due: true },
    "deleted while active": { kind: "delete", state: "Active", spec: withRelease, record: { ranTasks: true }, ended: true, due: true },
    "completed, nothing ran here": { state: "Completed", spec: withRelease, ended: true, due: false },
    "completed, already released": { state: "Completed", spec: withRelease, record: { ranTasks: true, release: run }, ended: true, due: false },
    "completed, no release task": { state: "Completed", record: { ranTasks: true }, ended: true, due: false },
  };
  for (const [name, tc] of Object.entries(cases)) {
    await t.test(name, () => {
      const j = job(tc.spec ?? {}, "u", tc.state);
      assert.equal(jobEnded(tc.kind ?? "update", j), tc.ended);
      assert.equal(releaseDue(j, tc.record), tc.due);
    });
  }
});

test("releaseTask: no retries, the release task's own wall clock", () => {
  const t = releaseTask(job({ jobReleaseTask: { commandLine: "rel", maxWallClockTime: "PT1M" }, constraints: { maxTaskRetryCount: 3 } }))!;
  assert.deepEqual({ id: t.id, cmd: t.commandLine, c: t.constraints }, { id: "jobrelease", cmd: "rel", c: { maxWallClockTime: "PT1M", maxTaskRetryCount: 0 } });
  assert.equal(releaseTask(job({ jobReleaseTask: { commandLine: "rel" } }))!.constraints.maxWallClockTime, "PT15M");
});

test("JobReleases", async (t) => {
  const setup = (root: string, tasksRunning: () => Promise<unknown>[] = () => []) => {
    const records = new JobRecords(root, "n1");
    const { exec, ran } = fakeExec(0, 20);
    const preparations = new JobPreparations({ nodeId: "n1", records, exec, log: () => {} });
    const releases = new JobReleases({ nodeId: "n1", records, exec, log: () => {}, preparations, tasksRunning });
    return { records, ran, preparations, releases };
  };
  const inRoot = (fn: (root: string) => Promise<void>) => async () => {
    const root = mkdtempSync(join(tmpdir(), "kubatch-release-"));
    try {
      await fn(root);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };

  await t.test("runs once on a node that ran the job, however many events say it ended", inRoot(async (root) => {
    const { ran, preparations, releases } = setup(root);
    await preparations.beforeTask(job(withRelease), new AbortController().signal);
    releases.onJob("update", job(withRelease, "uid-1", "Active"));
    await releases.idle();
    assert.equal(ran.length, 0, "not while the job is active");
    for (let i = 0; i < 3; i++) releases.onJob("update", job(withRelease, "uid-1", "Completed"));
    releases.onJob("delete", job(withRelease, "uid-1", "Completed"));
    await releases.idle();
    assert.deepEqual(ran.map((r) => r.id), ["jobrelease"]);
  }));

  await t.test("not on a node that never ran the job", inRoot(async (root) => {
    const { ran, releases } = setup(root);
    releases.onJob("update", job(withRelease, "uid-1", "Completed"));
    await releases.idle();
    assert.equal(ran.length, 0);
  }));

  await t.test("an agent started later runs the release it owes, and never one it ran", inRoot(async (root) => {
    const first = setup(root);
    await first.preparations.beforeTask(job(withRelease), new AbortController().signal);
    const owed = setup(root);
    owed.releases.onJob("add", job(withRelease, "uid-1", "Completed"));
    await owed.releases.idle();
    assert.equal(owed.ran.length, 1);
    const after = setup(root);
    after.releases.onJob("add", job(withRelease, "uid-1", "Completed"));
    await after.releases.idle();
    assert.equal(after.ran.length, 0);
  }));

  await t.test("waits for the job's task processes on the node to end", inRoot(async (root) => {
    let taskEnded = 0;
    const task = new Promise<void>((r) => setTimeout(() => ((taskEnded = Date.now()), r()), 100));
    const { records, releases } = setup(root, () => [task]);
    await records.update("j", "uid-1", (r) => ({ ...r, ranTasks: true }));
    releases.onJob("update", job(withRelease, "uid-1", "Completed"));
    await releases.idle();
    const rec = await records.get("j", "uid-1");
    assert.ok(taskEnded > 0 && Date.parse(rec!.release!.startTime) >= taskEnded, "release started after the task ended");
  }));

  await t.test("stops a preparation still running when the job ends, then releases", inRoot(async (root) => {
    const records = new JobRecords(root, "n1");
    const slow = fakeExec(0, 5_000);
    const preparations = new JobPreparations({ nodeId: "n1", records, exec: slow.exec, log: () => {} });
    const quick = fakeExec(0, 10);
    const releases = new JobReleases({ nodeId: "n1", records, exec: quick.exec, log: () => {}, preparations, tasksRunning: () => [] });
    const spec = { ...withRelease, jobPreparationTask: { commandLine: "prep" } };
    const waiting = preparations.beforeTask(job(spec), new AbortController().signal);
    await new Promise((r) => setTimeout(r, 30));
    const t0 = Date.now();
    releases.onJob("update", job(spec, "uid-1", "Completed"));
    await releases.idle();
    assert.ok(Date.now() - t0 < 2_000);
    assert.equal((await waiting).ok, false);
    assert.deepEqual(quick.ran.map((r) => r.id), ["jobrelease"]);
    assert.equal((await records.get("j", "uid-1"))?.preparation, undefined, "a stopped preparation is no outcome");
  }));
});
