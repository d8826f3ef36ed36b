// A start task without waitForSuccess runs in the tasks container (runner/command.ts), where the
// kubelet reports no process of its own: the agent reports the runner's record of it
// (startup/start-task-info.json) on its own pod, as the annotation kubatch.dev/start-task-info,
// whenever it changed, until it says Completed. The operator reads it into
// status.nodes[].startTaskInfo. An admission policy lets the agent change that annotation of
// its own pod and nothing else.
import { startTaskInfoAnnotation } from "../../../api/labels.ts";
import { readStartTaskInfo } from "../start-task/start-task-info.ts";
import { httpStatus } from "../../../kube/errors.ts";

export type StartTaskReportOptions = {
  /** startup/start-task-info.json */
  path: string;
  /** Writes the annotation's value onto this node's pod. */
  annotate: (annotations: Record<string, string>) => Promise<void>;
  log: (line: string) => void;
  signal: AbortSignal;
  pollMs?: number;
};

export async function reportStartTask(opts: StartTaskReportOptions): Promise<void> {
  const pollMs = opts.pollMs ?? 1_000;
  let written: string | undefined;
  let failures = 0;
  while (!opts.signal.aborted) {
    const info = await readStartTaskInfo(opts.path);
    const value = info && JSON.stringify(info);
    if (value && value !== written) {
      try {
        await opts.annotate({ [startTaskInfoAnnotation]: value });
        written = value;
        failures = 0;
      } catch (err) {
        // Forbidden: not granted (no admission policy to narrow it, or the pool's own ServiceAccount); nothing will change that.
        if (httpStatus(err) === 403) {
          opts.log(`cannot report the start task on this node's pod (403: the kubatch-node ServiceAccount may patch its pod only where the operator's nodePodAnnotationPolicy is on, the chart's admissionPolicy.enabled): ${err instanceof Error ? err.message : String(err)}`);
          return;
        }
        if (failures++ % 10 === 0) opts.log(`reporting the start task on this node's pod failed (tried again): ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (info?.state === "Completed" && value === written) return;
    await new Promise((r) => setTimeout(r, pollMs).unref());
  }
}
