// The agent's side of the runner socket: a Launcher that runs each process in the node pod's
// `tasks` container. It waits for the runner to listen (the containers start in any order, and
// the runner restarts when user code kills it); a connection lost before the result means the
// process ended with that container, reported as failure code "Interrupted".
import { connect, type Socket } from "node:net";
import type { Launcher, ProcessResult, RunOptions } from "../process/run-process.ts";
import type { CgroupUsage } from "../../../api/node-usage.ts";
import { decodeResult, decodeUsage, lineReader, usageRequest, type RunRequest } from "./protocol.ts";

export function runnerLauncher(socketPath: string, opts: { log: (line: string) => void; retryMs?: number }): Launcher {
  return async (run: RunOptions): Promise<ProcessResult> => {
    const startTime = new Date();
    const socket = await connectWhenListening(socketPath, run.signal, opts);
    if (!socket) return { exitCode: 1, startTime, endTime: new Date(), failure: { code: "Interrupted", message: "stopped before the runner was reached" } };
    const req: RunRequest = {
      commandLine: run.commandLine,
      cwd: run.cwd,
      outputDir: run.outputDir,
      env: Object.fromEntries(Object.entries(run.env).filter((e): e is [string, string] => typeof e[1] === "string")),
      maxWallClockMs: run.maxWallClockMs,
      killGraceMs: run.killGraceMs,
      ...(run.userIdentity ? { userIdentity: run.userIdentity } : {}),
    };
    return new Promise<ProcessResult>((resolve) => {
      let result: ProcessResult | undefined;
      const onAbort = () => socket.write(JSON.stringify({ stop: true }) + "\n");
      run.signal?.addEventListener("abort", onAbort, { once: true });
      socket.on(
        "data",
        lineReader((line) => {
          result ??= decodeResult(line);
        }),
      );
      socket.on("error", () => undefined);
      socket.on("close", () => {
        run.signal?.removeEventListener("abort", onAbort);
        resolve(
          result ?? {
            exitCode: 1,
            startTime,
            endTime: new Date(),
            failure: { code: "Interrupted", message: "the process ended with the node's tasks container (it was killed or restarted before the process exited)" },
          },
        );
      });
      socket.write(JSON.stringify(req) + "\n");
    });
  };
}

async function connectWhenListening(path: string, signal: AbortSignal | undefined, opts: { log: (line: string) => void; retryMs?: number }): Promise<Socket | undefined> {
  let wait = opts.retryMs ?? 100;
  let loggedAt = 0;
  while (!signal?.aborted) {
    const socket = await new Promise<Socket | NodeJS.ErrnoException>((resolve) => {
      const s = connect(path);
      s.once("connect", () => resolve(s));
      s.once("error", (err) => resolve(err));
    });
    if (!(socket instanceof Error)) return socket;
    if (Date.now() - loggedAt > 30_000) {
      opts.log(`waiting for the tasks container's runner at ${path} (${socket.code ?? socket.message})`);
      loggedAt = Date.now();
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, wait);
      signal?.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
    });
    wait = Math.min(wait * 2, 2_000);
  }
  return undefined;
}

/** The tasks container's cgroup usage, or undefined when the runner does not answer within timeoutMs (its container is restarting). */
export function runnerUsage(socketPath: string, timeoutMs = 2_000): Promise<CgroupUsage | undefined> {
  return new Promise((resolve) => {
    let usage: CgroupUsage | undefined;
    const socket = connect(socketPath);
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.once("connect", () => socket.write(usageRequest + "\n"));
    socket.on("data", lineReader((line) => (usage ??= decodeUsage(line))));
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(usage));
  });
}
