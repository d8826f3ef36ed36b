// `kubatch workitem disable|enable|terminate WORKITEM`: Azure Batch's job schedule calls as the
// spec fields the operator acts on (spec.disabled, spec.terminate + terminateReason). The
// command only writes the spec; `kubatch workitem list` shows what follows.
import { connect, getWorkItem, patchSpec, workItemsResource, type Cluster } from "./kube.ts";
import { clusterOptions, clusterOptionsHelp, CliError, parseCommandLine, positionalArgs, terminateReasonOption, UsageError } from "./usage.ts";

export const workItemDisableHelp = `usage: kubatch workitem disable WORKITEM [options]

Stops the work item from creating jobs (Azure Batch "disable job schedule"): spec.disabled
becomes true and the work item Disabled. A job it made that is active runs on.
${clusterOptionsHelp}`;

export const workItemEnableHelp = `usage: kubatch workitem enable WORKITEM [options]

Lets a disabled work item create jobs again (Azure Batch "enable job schedule"): a run that
came due meanwhile is made now if its startWindow allows.
${clusterOptionsHelp}`;

export const workItemTerminateHelp = `usage: kubatch workitem terminate WORKITEM [--reason TEXT] [options]

Ends the work item for good (Azure Batch "terminate job schedule"): its active job is
terminated with TEXT as its terminateReason (default UserTerminate), the work item is
Terminating until that job completes, then Completed; it never creates a job again.
${clusterOptionsHelp}`;

const patchWorkItem = (cluster: Cluster, name: string, spec: object) => patchSpec(cluster, workItemsResource, "work item", name, spec);

/** The work item, refused when it completed or is terminated (nothing can change it then). */
async function liveWorkItem(cluster: Cluster, name: string, verb: string) {
  const wi = await getWorkItem(cluster, name);
  if (wi.status?.state === "Completed") throw new CliError(`work item "${name}" is Completed: it cannot be ${verb}`);
  if (wi.spec?.terminate) throw new CliError(`work item "${name}" was terminated: it cannot be ${verb}`);
  return wi;
}

function parse(argv: string[]) {
  const { values, positionals } = parseCommandLine({ args: argv, allowPositionals: true, options: { ...clusterOptions, reason: { type: "string" } } });
  const [name] = positionalArgs(positionals, ["WORKITEM"]) as [string];
  return { values, name };
}

/** WORKITEM and the cluster options; --reason only for terminate. */
function parseControl(argv: string[], verb: string) {
  const parsed = parse(argv);
  if (parsed.values.reason !== undefined) throw new UsageError(`--reason is for terminate, not ${verb}`);
  return parsed;
}

export async function workItemDisable(argv: string[]): Promise<number> {
  const { values, name } = parseControl(argv, "disable");
  const cluster = connect(values);
  await liveWorkItem(cluster, name, "disabled");
  await patchWorkItem(cluster, name, { disabled: true });
  console.log(`work item ${name}: disabled; no job is created until \`kubatch workitem enable ${name}\``);
  return 0;
}

export async function workItemEnable(argv: string[]): Promise<number> {
  const { values, name } = parseControl(argv, "enable");
  const cluster = connect(values);
  await liveWorkItem(cluster, name, "enabled");
  await patchWorkItem(cluster, name, { disabled: false });
  console.log(`work item ${name}: enabled; its schedule goes on`);
  return 0;
}

export async function workItemTerminate(argv: string[]): Promise<number> {
  const { values, name } = parse(argv);
  const reason = terminateReasonOption(values.reason);
  const cluster = connect(values);
  await liveWorkItem(cluster, name, "terminated");
  await patchWorkItem(cluster, name, { terminate: true, ...(reason ? { terminateReason: reason } : {}) });
  console.log(`work item ${name}: terminating (${reason ?? "UserTerminate"})`);
  return 0;
}
