// What the agent and the runner say over the runner's Unix socket: one connection per process.
// The agent sends one RunRequest line; the runner starts the process and answers with one
// RunResponse line when it ends. A `{"stop":true}` line from the agent, or the connection
// closing, stops the process group (the agent is stopping, or has died). A connection that
// closes before the response means the process ended with the tasks container. A
// `{"usage":true}` line instead asks for the tasks container's cgroup usage (one JSON line).
import type { ProcessResult, RunOptions } from "../process/run-process.ts";
import { cgroupUsageSchema, type CgroupUsage } from "../../../api/node-usage.ts";
import { userIdentitySchema } from "../../../api/user-identity.ts";

/** RunOptions without what cannot cross a socket; env holds only what the task adds to the runner's own environment. */
export type RunRequest = Omit<RunOptions, "signal" | "echo" | "env" | "user"> & { env: Record<string, string> };

export type RunResponse = { result: Omit<ProcessResult, "startTime" | "endTime"> & { startTime: string; endTime: string } };

export type StopMessage = { stop: true };

export const usageRequest = JSON.stringify({ usage: true });

export function isUsageRequest(line: string): boolean {
  try {
    return (JSON.parse(line) as { usage?: unknown })?.usage === true;
  } catch {
    return false;
  }
}

export function encodeUsage(usage: CgroupUsage): string {
  return JSON.stringify({ usage }) + "\n";
}

export function decodeUsage(line: string): CgroupUsage | undefined {
  try {
    const parsed = cgroupUsageSchema.safeParse((JSON.parse(line) as { usage?: unknown }).usage);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function encodeResult(r: ProcessResult): string {
  return JSON.stringify({ result: { ...r, startTime: r.startTime.toISOString(), endTime: r.endTime.toISOString() } } satisfies RunResponse) + "\n";
}

export function decodeResult(line: string): ProcessResult | undefined {
  try {
    const { result } = JSON.parse(line) as RunResponse;
    if (typeof result?.exitCode !== "number") return undefined;
    return { ...result, startTime: new Date(result.startTime), endTime: new Date(result.endTime) };
  } catch {
    return undefined;
  }
}

export function decodeRequest(line: string): RunRequest | string {
  let r: Partial<RunRequest>;
  try {
    r = JSON.parse(line) as Partial<RunRequest>;
  } catch {
    return "the request is not JSON";
  }
  if (typeof r.commandLine !== "string") return "commandLine must be a string";
  if (typeof r.cwd !== "string" || typeof r.outputDir !== "string") return "cwd and outputDir must be strings";
  if (typeof r.env !== "object" || r.env === null || Object.values(r.env).some((v) => typeof v !== "string")) return "env must map names to strings";
  if (r.maxWallClockMs !== undefined && typeof r.maxWallClockMs !== "number") return "maxWallClockMs must be a number";
  if (r.killGraceMs !== undefined && typeof r.killGraceMs !== "number") return "killGraceMs must be a number";
  if (r.userIdentity !== undefined) {
    const identity = userIdentitySchema.safeParse(r.userIdentity);
    if (!identity.success) return `userIdentity: ${identity.error.issues.map((i) => i.message).join("; ")}`;
    r.userIdentity = identity.data;
  }
  // The runner decides the user; a request cannot name a uid.
  delete (r as { user?: unknown }).user;
  return r as RunRequest;
}

/** Splits a byte stream into lines, calling back per complete line. */
export function lineReader(onLine: (line: string) => void): (chunk: Buffer) => void {
  let buffered = "";
  return (chunk) => {
    buffered += chunk.toString("utf8");
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() !== "") onLine(line);
    }
  };
}
