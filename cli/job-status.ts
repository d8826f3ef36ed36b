// `kubatch job status JOB`: the job's state, task counts and conditions.
import { poolIdOf } from "../api/pool-id.ts";
import { connect, getJob } from "./kube.ts";
import { formatElapsed, formatTable } from "./task-row.ts";
import { clusterOptions, clusterOptionsHelp, parseCommandLine, positionalArgs, UsageError } from "./usage.ts";
import type { JobObject } from "../kube/objects.ts";

export const jobStatusHelp = `usage: kubatch job status JOB [-o json] [options]

Shows the state, task counts and conditions of job JOB (jobs.kubatch.dev).

  -o, --output json  the job's status as JSON
${clusterOptionsHelp}`;

function ago(time: string | undefined, now: number): string {
  const t = time ? Date.parse(time) : NaN;
  return Number.isNaN(t) ? "" : `${formatElapsed(now - t)} ago`;
}

export function describeJob(job: JobObject, now = Date.now()): string {
  const s = job.status ?? {};
  const c = s.taskCounts ?? {};
  const total = (c.active ?? 0) + (c.running ?? 0) + (c.completed ?? 0);
  const lines = [
    `Job:        ${job.metadata?.name ?? ""} (namespace ${job.metadata?.namespace ?? ""})`,
    `State:      ${s.state ?? "(not yet reconciled)"}${s.stateTransitionTime ? ` since ${ago(s.stateTransitionTime, now)}` : ""}`,
    `Pool:       ${s.executionInfo?.poolId ?? poolIdOf(job)}`,
    `Tasks:      ${total} total: ${c.active ?? 0} active, ${c.running ?? 0} running, ${c.completed ?? 0} completed (${c.succeeded ?? 0} succeeded, ${c.failed ?? 0} failed)`,
  ];
  if (s.executionInfo?.terminateReason) lines.push(`Ended:      ${s.executionInfo.terminateReason}${s.executionInfo.endTime ? `, ${ago(s.executionInfo.endTime, now)}` : ""}`);
  const conditions = s.conditions ?? [];
  lines.push("Conditions:");
  if (conditions.length === 0) lines.push("  (none)");
  else {
    const table = formatTable(
      ["TYPE", "STATUS", "REASON", "SINCE", "MESSAGE"],
      conditions.map((k) => [k.type, k.status, k.reason ?? "", ago(k.lastTransitionTime, now), k.message ?? ""]),
    );
    lines.push(...table.split("\n").map((l) => `  ${l}`));
  }
  return lines.join("\n");
}

export async function jobStatus(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({
    args: argv,
    allowPositionals: true,
    options: { ...clusterOptions, output: { type: "string", short: "o" } },
  });
  const [name] = positionalArgs(positionals, ["JOB"]) as [string];
  if (values.output !== undefined && values.output !== "json") throw new UsageError(`--output: "${values.output}" is not json`);
  const cluster = connect(values);
  const job = await getJob(cluster, name);
  console.log(values.output === "json" ? JSON.stringify(job.status ?? {}, null, 2) : describeJob(job));
  return 0;
}
