// Jobs and a fake executor for the unit tests of the job preparation and release tasks.
import { failureExitCode } from "../../../api/failure-codes.ts";
import { parseJob, type Job } from "../../../api/job.ts";
import type { Exec } from "./job-preparation.ts";
import type { RunnableTask, TaskOutcome } from "./task-execution.ts";

export function job(spec: object = {}, uid = "uid-1", state?: string): Job {
  const r = parseJob({
    apiVersion: "kubatch.dev/v1alpha1",
    kind: "Job",
    metadata: { name: "j", namespace: "ns", uid },
    spec: { poolInfo: { poolId: "p" }, ...spec },
    ...(state ? { status: { state } } : {}),
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

export function outcome(exitCode: number, ms = 0): TaskOutcome {
  const startTime = new Date();
  return {
    exitCode,
    result: exitCode === 0 ? "Success" : "Failure",
    failureInfo: exitCode === 0 ? undefined : { category: "UserError", code: failureExitCode, message: `the task exited with code ${exitCode}` },
    startTime,
    endTime: new Date(startTime.getTime() + ms),
    retryCount: 0,
    stderrTail: exitCode === 0 ? undefined : "prep went wrong\n",
  };
}

/** An exec that records what ran and answers with the given exit code after a delay. */
export function fakeExec(exitCode: number, ms = 20): { exec: Exec; ran: RunnableTask[] } {
  const ran: RunnableTask[] = [];
  const exec: Exec = async (task, _job, signal) => {
    ran.push(task);
    await new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      signal.addEventListener("abort", () => (clearTimeout(t), r()), { once: true });
    });
    return outcome(signal.aborted ? 143 : exitCode, ms);
  };
  return { exec, ran };
}
