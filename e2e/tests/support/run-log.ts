// Ground truth outside the cluster: every task a suite runs appends a line when it starts
// and when it ends to a log in a host folder (host-folder.ts), and the suite compares those
// runs with what the API says.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import type { TaskStatus } from "../../../api/task.ts";
import type { Obj } from "./kubatch.ts";

export type Run = { task: string; node: string; start: number; end?: number };

/** Every task appends `<task> <node> start|end <ns>` to a shared log on the host. */
export function shellTask(log: string, body: string): string {
  const mark = (what: string) => `echo $AZ_BATCH_TASK_ID $AZ_BATCH_NODE_ID ${what} $(date +%s%N) >> ${log}`;
  return `/bin/sh -c "${mark("start")}; (${body}); code=$?; ${mark("end")}; exit $code"`;
}

/** The runs the log holds so far (none before the first task started). */
export function runs(log: string): Run[] {
  if (!existsSync(log)) return [];
  const open = new Map<string, Run>();
  const out: Run[] = [];
  for (const line of readFileSync(log, "utf8").split("\n").filter(Boolean)) {
    const [task, node, what, ns] = line.split(" ");
    const at = Number(BigInt(ns!) / 1000n);
    if (what === "start") {
      const run = { task: task!, node: node!, start: at };
      open.set(`${task}@${node}`, run);
      out.push(run);
    } else {
      const run = open.get(`${task}@${node}`);
      if (run) run.end = at;
    }
  }
  return out;
}

/** Starts per task in the log = 1 + its retries + its requeues, for every task the API holds. */
export function assertExact(log: string, tasks: Obj<TaskStatus>[]): void {
  const starts = new Map<string, number>();
  for (const r of runs(log)) starts.set(r.task, (starts.get(r.task) ?? 0) + 1);
  for (const t of tasks) {
    const info = t.status?.executionInfo;
    assert.equal(starts.get(t.metadata.name) ?? 0, 1 + (info?.retryCount ?? 0) + (info?.requeueCount ?? 0), `${t.metadata.name}: starts in the log vs retryCount ${info?.retryCount} + requeueCount ${info?.requeueCount}`);
  }
}
