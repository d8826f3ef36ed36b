// `kubatch task terminate TASK [--reason TEXT]`: Azure Batch's "terminate task" — the task
// completes as failed (TaskEnded) whatever it was doing, its process is stopped, and the Task
// stays as its record. The request is an annotation the operator acts on (api/labels.ts).
import { mergePatch } from "../kube/apply.ts";
import { terminateAnnotation } from "../api/labels.ts";
import { connect, getTask, tasksResource } from "./kube.ts";
import { clusterOptions, clusterOptionsHelp, CliError, parseCommandLine, positionalArgs, terminateReasonOption } from "./usage.ts";

export const taskTerminateHelp = `usage: kubatch task terminate TASK [--reason TEXT] [options]

Terminates a task, as Azure Batch's "terminate task": waiting, it never runs; running, its
process is stopped. It completes with result Failure and failure code TaskEnded (the reason in
its message), counts as failed in its job, and stays until its retentionTime. A completed task
is refused. Waits up to 30 s for the operator to complete it. The same as
  kubectl annotate ktask TASK ${terminateAnnotation}="TEXT"

  --reason TEXT   why (1-1024 characters), in the task's failure message
${clusterOptionsHelp}`;

const waitMs = 30_000;

export async function taskTerminate(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({ args: argv, allowPositionals: true, options: { ...clusterOptions, reason: { type: "string" } } });
  const [name] = positionalArgs(positionals, ["TASK"]) as [string];
  const reason = terminateReasonOption(values.reason) ?? "";
  const cluster = connect(values);
  const task = await getTask(cluster, name);
  if (task.status?.state === "Completed") throw new CliError(`task "${name}" has already completed (${task.status.executionInfo?.result ?? "no result"}): there is nothing to terminate`);
  await cluster.custom.patchNamespacedCustomObject({ ...tasksResource, namespace: cluster.namespace, name, body: { metadata: { annotations: { [terminateAnnotation]: reason } } } }, mergePatch);
  console.log(`task ${name}: terminating${reason ? ` (${reason})` : ""}`);
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const now = await getTask(cluster, name);
    if (now.status?.state === "Completed") {
      const failure = now.status.executionInfo?.failureInfo;
      console.log(`task ${name}: Completed, ${now.status.executionInfo?.result ?? "no result"}${failure ? ` (${failure.code}: ${failure.message})` : ""}`);
      return 0;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(`task ${name}: not completed after ${waitMs / 1000} s; the operator completes it when it can (kubectl get ktask ${name} -w)`);
  return 0;
}
