// `kubatch task reactivate TASK`: Azure Batch's reactivate — a task that completed with a
// failure goes back to Active (retry count reset) and the scheduler runs it again.
import { mergePatch } from "../kube/apply.ts";
import { assignmentAnnotation, nodeLabel, terminateAnnotation } from "../api/labels.ts";
import { connect, getTask, tasksResource } from "./kube.ts";
import { clusterOptions, clusterOptionsHelp, CliError, parseCommandLine, positionalArgs } from "./usage.ts";

export const taskReactivateHelp = `usage: kubatch task reactivate TASK [options]

Puts a task that completed with result Failure back into the queue, as Azure Batch's
"reactivate task": its state becomes Active, its retry count starts again from 0, and it
runs again on a node of its job's pool. A task that succeeded or has not completed is refused.
${clusterOptionsHelp}`;

export async function taskReactivate(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({ args: argv, allowPositionals: true, options: { ...clusterOptions } });
  const [name] = positionalArgs(positionals, ["TASK"]) as [string];
  const cluster = connect(values);
  const task = await getTask(cluster, name);
  const state = task.status?.state ?? "Active";
  const result = task.status?.executionInfo?.result;
  if (state !== "Completed" || result !== "Failure") {
    throw new CliError(`task "${name}" is ${state}${result ? ` (${result})` : ""}: only a task that completed with a failure can be reactivated`);
  }
  const api = { ...tasksResource, namespace: cluster.namespace, name };
  // The assignment goes first: a node must not see its old task turn Active and run it
  // itself; the scheduler assigns it afresh once it is Active and unassigned. A terminated
  // task's request goes with it, or it would be terminated again.
  const res = (await cluster.custom.patchNamespacedCustomObject(
    { ...api, body: { metadata: { resourceVersion: task.metadata?.resourceVersion, labels: { [nodeLabel]: null }, annotations: { [assignmentAnnotation]: null, [terminateAnnotation]: null } } } },
    mergePatch,
  )) as { metadata: { resourceVersion: string } };
  await cluster.custom.patchNamespacedCustomObjectStatus(
    {
      ...api,
      body: {
        metadata: { resourceVersion: res.metadata.resourceVersion },
        status: {
          state: "Active",
          previousState: "Completed",
          stateTransitionTime: new Date().toISOString(),
          nodeInfo: null,
          conditions: null,
          executionInfo: { retryCount: 0, startTime: null, endTime: null, exitCode: null, result: null, failureInfo: null, lastRetryTime: null },
          stdoutTail: null,
          stderrTail: null,
        },
      },
    },
    mergePatch,
  );
  console.log(`task ${name} reactivated: Active, waiting for a node`);
  return 0;
}
