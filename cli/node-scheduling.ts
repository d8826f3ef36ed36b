// `kubatch node disable-scheduling|enable-scheduling NODE`: Azure Batch's "disable/enable
// scheduling" on a compute node, as an annotation on the node pod (like `kubectl cordon` on a
// Kubernetes node). The operator places no new task there while it is set and acts on the
// running ones as the option says; `kubatch node list` shows the node's scheduling state.
import { CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { poolLabel, schedulingDisabledAnnotation, schedulingDisableOptions } from "../api/labels.ts";
import { mergePatch } from "../kube/apply.ts";
import { apiMessage, connect, statusCode, type Cluster } from "./kube.ts";
import { choiceOption, clusterOptions, clusterOptionsHelp, CliError, parseCommandLine, positionalArgs } from "./usage.ts";

export const nodeDisableSchedulingHelp = `usage: kubatch node disable-scheduling NODE [--tasks requeue|terminate|taskcompletion] [options]

Stops new tasks from being scheduled on node NODE (its pod; Azure Batch "disable scheduling").
What happens to the tasks running there (--tasks):
  requeue         (default) they are stopped and go back to the queue, to run on another node
  terminate       they are stopped and complete as failed (failureInfo.code TaskEnded)
  taskcompletion  they run to their end
The node stays in the pool; \`kubatch node enable-scheduling NODE\` lets tasks come again.
${clusterOptionsHelp}`;

export const nodeEnableSchedulingHelp = `usage: kubatch node enable-scheduling NODE [options]

Lets tasks be scheduled on node NODE again (Azure Batch "enable scheduling").
${clusterOptionsHelp}`;

/** The node pod, refused when it is not one of a pool's nodes. */
export async function nodePod(cluster: Cluster, core: CoreV1Api, name: string): Promise<V1Pod> {
  let pod: V1Pod;
  try {
    pod = await core.readNamespacedPod({ name, namespace: cluster.namespace });
  } catch (err) {
    if (statusCode(err) === 404) throw new CliError(`node "${name}" not found in namespace "${cluster.namespace}" (a node is a pool's pod: kubatch node list POOL names them)`);
    throw new CliError(`reading node "${name}": ${apiMessage(err)}`);
  }
  if (!pod.metadata?.labels?.[poolLabel]) throw new CliError(`pod "${name}" is not a kubatch node (it has no ${poolLabel} label)`);
  return pod;
}

/** Sets (null: removes) annotations of a node pod (`kubatch node disable-scheduling|reimage|remove`); returns the pod as it was read. */
export async function annotateNode(cluster: Cluster, name: string, annotations: Record<string, string | null>, pod?: V1Pod): Promise<V1Pod> {
  const core = cluster.kc.makeApiClient(CoreV1Api);
  const read = pod ?? (await nodePod(cluster, core, name));
  try {
    await core.patchNamespacedPod({ name, namespace: cluster.namespace, body: { metadata: { annotations } } }, mergePatch);
  } catch (err) {
    throw new CliError(`updating node "${name}": ${apiMessage(err)}`);
  }
  return read;
}

async function annotate(cluster: Cluster, name: string, value: string | null): Promise<string> {
  const pod = await annotateNode(cluster, name, { [schedulingDisabledAnnotation]: value });
  return pod.metadata!.labels![poolLabel]!;
}

export async function nodeDisableScheduling(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({ args: argv, allowPositionals: true, options: { ...clusterOptions, tasks: { type: "string" } } });
  const [name] = positionalArgs(positionals, ["NODE"]) as [string];
  const option = choiceOption("--tasks", values.tasks ?? "requeue", schedulingDisableOptions);
  const pool = await annotate(connect(values), name, option);
  console.log(`node ${name} (pool ${pool}): scheduling disabled (running tasks: ${option}); no new task goes there until \`kubatch node enable-scheduling ${name}\``);
  return 0;
}

export async function nodeEnableScheduling(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({ args: argv, allowPositionals: true, options: { ...clusterOptions } });
  const [name] = positionalArgs(positionals, ["NODE"]) as [string];
  const pool = await annotate(connect(values), name, null);
  console.log(`node ${name} (pool ${pool}): scheduling enabled`);
  return 0;
}
