// `kubatch node reimage NODE [--tasks OPTION]`: Azure Batch's "reimage node" — the node pod
// gets the annotation kubatch.dev/reimage; the operator schedules nothing more there, releases
// its tasks as the option says, then replaces the pod with a fresh one (empty node root, the
// start task runs again). The new node has a new name: a node pod's identity is its pod.
import { nodeDeallocationOptions, poolLabel, reimageAnnotation } from "../api/labels.ts";
import { connect } from "./kube.ts";
import { annotateNode } from "./node-scheduling.ts";
import { choiceOption, clusterOptions, clusterOptionsHelp, parseCommandLine, positionalArgs } from "./usage.ts";

export const nodeReimageHelp = `usage: kubatch node reimage NODE [--tasks requeue|terminate|taskcompletion|retaineddata] [options]

Reimages node NODE (its pod), as Azure Batch's "reimage": no new task goes there; its running
tasks (--tasks):
  requeue         (default) are stopped and go back to the queue
  terminate       are stopped and complete as failed (failureInfo.code TaskEnded)
  taskcompletion  run to their end
  retaineddata    as taskcompletion
then the pod is replaced by a fresh one: an empty node root, the start task run again. The
new node has another name (kubatch node list POOL shows it).
${clusterOptionsHelp}`;

export async function nodeReimage(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({ args: argv, allowPositionals: true, options: { ...clusterOptions, tasks: { type: "string" } } });
  const [name] = positionalArgs(positionals, ["NODE"]) as [string];
  const option = choiceOption("--tasks", values.tasks ?? "requeue", nodeDeallocationOptions);
  const pod = await annotateNode(connect(values), name, { [reimageAnnotation]: option });
  console.log(`node ${name} (pool ${pod.metadata!.labels![poolLabel]}): reimaging (running tasks: ${option}); a fresh node replaces it once its tasks are released`);
  return 0;
}
