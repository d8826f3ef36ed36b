// Running a command from a test: bounded in time, output collected.
import { spawn } from "node:child_process";

export type Run = { code: number | null; stdout: string; stderr: string };

/** Runs a command to completion, killing it after `ms` (stderr then says so). */
export function run(command: string, args: string[], ms: number, env: NodeJS.ProcessEnv = process.env, input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => (stdout += d));
    child.stderr?.on("data", (d: Buffer) => (stderr += d));
    if (input !== undefined) child.stdin?.end(input);
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${ms} ms]`;
      child.kill("SIGKILL");
    }, ms);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`;

