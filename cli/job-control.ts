// `kubatch job disable|enable|terminate JOB`: Azure Batch's job calls as the spec fields the
// operator acts on (spec.disabled + disableTasks, spec.terminate + terminateReason). The
// command only writes the spec; `kubatch job status` / `job wait` show what follows.
import { connect, getJob, patchSpec, jobsResource, type Cluster } from "./kube.ts";
import { choiceOption, CliError, clusterOptions, clusterOptionsHelp, parseCommandLine, positionalArgs, terminateReasonOption } from "./usage.ts";

export const jobDisableHelp = `usage: kubatch job disable JOB [--tasks requeue|terminate|wait] [options]

Stops the job's tasks from starting (Azure Batch "disable job"): spec.disabled becomes true.
What happens to the tasks running now (spec.disableTasks):
  requeue    (default) they are stopped and go back to Active, to run again once enabled
  terminate  they are stopped and complete as failed (failureInfo.code TaskEnded)
  wait       they run to their end
The job is Disabling while tasks are in flight, then Disabled.
${clusterOptionsHelp}`;

export const jobEnableHelp = `usage: kubatch job enable JOB [options]

Lets a disabled job's tasks start again (Azure Batch "enable job"): spec.disabled becomes false.
${clusterOptionsHelp}`;

export const jobTerminateHelp = `usage: kubatch job terminate JOB [--reason TEXT] [options]

Ends the job for good (Azure Batch "terminate job"): running tasks are stopped and complete
as failed (TaskEnded), tasks not started never run, the job becomes Completed with
executionInfo.terminateReason TEXT (default UserTerminate).
${clusterOptionsHelp}`;

const disableModes = ["Requeue", "Terminate", "Wait"] as const;

const patchJob = (cluster: Cluster, name: string, spec: object) => patchSpec(cluster, jobsResource, "job", name, spec);

/** The job, refused when it already completed (nothing can change it then). */
async function liveJob(cluster: Cluster, name: string, verb: string) {
  const job = await getJob(cluster, name);
  if (job.status?.state === "Completed") throw new CliError(`job "${name}" is Completed (${job.status.executionInfo?.terminateReason ?? "terminated"}): it cannot be ${verb}`);
  return job;
}

export async function jobDisable(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({ args: argv, allowPositionals: true, options: { ...clusterOptions, tasks: { type: "string" } } });
  const [name] = positionalArgs(positionals, ["JOB"]) as [string];
  const mode = choiceOption("--tasks", values.tasks ?? "requeue", disableModes);
  const cluster = connect(values);
  await liveJob(cluster, name, "disabled");
  await patchJob(cluster, name, { disabled: true, disableTasks: mode });
  console.log(`job ${name}: disabled (running tasks: ${mode}); no task starts until \`kubatch job enable ${name}\``);
  return 0;
}

export async function jobEnable(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({ args: argv, allowPositionals: true, options: { ...clusterOptions } });
  const [name] = positionalArgs(positionals, ["JOB"]) as [string];
  const cluster = connect(values);
  await liveJob(cluster, name, "enabled");
  await patchJob(cluster, name, { disabled: false });
  console.log(`job ${name}: enabled; its tasks may start again`);
  return 0;
}

export async function jobTerminate(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({ args: argv, allowPositionals: true, options: { ...clusterOptions, reason: { type: "string" } } });
  const [name] = positionalArgs(positionals, ["JOB"]) as [string];
  terminateReasonOption(values.reason);
  const cluster = connect(values);
  await liveJob(cluster, name, "terminated");
  await patchJob(cluster, name, { terminate: true, ...(values.reason ? { terminateReason: values.reason } : {}) });
  console.log(`job ${name}: terminating (${values.reason ?? "UserTerminate"})`);
  return 0;
}
