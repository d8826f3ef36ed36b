// The runner's side of the socket (`task-runner runner`, in the node pod's `tasks` container):
// starts each requested process with the container's own environment plus what the agent
// sends, and answers with its result. It holds no credentials: the agent, in the other
// container, talks to the API server and fetches files; user code only ever runs here.
import { createServer, type Server, type Socket } from "node:net";
import { chmod, chown, mkdir, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { runProcess, type ProcessResult } from "../process/run-process.ts";
import { handBack, handOver, ownerOf } from "./folder-owner.ts";
import { firstTaskUserId, taskUids, taskUser, type ProcessUser } from "./task-users.ts";
import { stopUserProcesses } from "./user-processes.ts";
import { errorMessage } from "../../../kube/errors.ts";
import { userEnvironment } from "../../../api/node-layout.ts";
import { readCgroupUsage } from "../node-usage/cgroup.ts";
import { decodeRequest, encodeResult, encodeUsage, isUsageRequest, lineReader } from "./protocol.ts";

/** This runner's start: its container's counters began then. */
const processStart = new Date(Date.now() - process.uptime() * 1000).toISOString();

export type RunnerServer = {
  server: Server;
  running: () => number;
  /** The open connections (tests drop them to act out the container's end). */
  sockets: () => Socket[];
  close: () => Promise<void>;
};

export type RunnerOptions = {
  baseEnv: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** The cap of each process's stdout.txt and stderr.txt (the container's KUBATCH_TASK_OUTPUT_MAX_BYTES). */
  maxOutputBytes?: number;
  /** Where this container's cgroup is mounted (tests point it at a fixture). */
  cgroupRoot?: string;
  /** The pool runs each task as its own user (separateTaskUsers; this runner is root). */
  separateUsers?: boolean;
  /** AZ_BATCH_POOL_ID, for a refusal's message. */
  poolId?: string;
};

export async function serveRunner(socketPath: string, opts: RunnerOptions): Promise<RunnerServer> {
  const uids = taskUids();
  const stops = new Set<AbortController>();
  let closing = false;
  const finishing = new Set<Promise<void>>();
  const open = new Set<Socket>();
  const server = createServer((socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    const stop = new AbortController();
    stops.add(stop);
    let started = false;
    // The agent's end (a stop line, or its side closing) stops the process.
    socket.on("close", () => stop.abort());
    socket.on("error", () => stop.abort());
    socket.on(
      "data",
      lineReader((line) => {
        if (started) {
          if (line.includes('"stop"')) stop.abort();
          return;
        }
        started = true;
        const work = handle(socket, line, stop.signal, opts, uids, () => closing).finally(() => {
          stops.delete(stop);
          finishing.delete(work);
        });
        finishing.add(work);
      }),
    );
  });
  // A socket left by an earlier runner of this container would refuse the bind.
  await rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  if (opts.separateUsers) {
    // A root runner's socket: the agent (the node's group, which owns the socket's folder)
    // connects; the tasks' users, outside that group, cannot ask it for a process.
    const folder = await stat(dirname(socketPath));
    await chown(socketPath, 0, folder.gid);
    await chmod(socketPath, 0o660);
  }
  return {
    server,
    running: () => finishing.size,
    sockets: () => [...open],
    close: async () => {
      closing = true;
      for (const s of stops) s.abort();
      await Promise.allSettled([...finishing]);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function handle(socket: Socket, line: string, signal: AbortSignal, opts: RunnerOptions, uids: ReturnType<typeof taskUids>, closing: () => boolean): Promise<void> {
  if (isUsageRequest(line)) {
    if (!socket.destroyed) socket.end(encodeUsage({ ...(await readCgroupUsage(opts.cgroupRoot)), startedAt: processStart }));
    return;
  }
  const req = decodeRequest(line);
  if (typeof req === "string") {
    opts.log(`refused a request: ${req}`);
    socket.end(encodeResult({ exitCode: 1, startTime: new Date(), endTime: new Date(), failure: { code: "StartFailed", message: `the runner refused the request: ${req}` } }));
    return;
  }
  const choice = taskUser(req.userIdentity, { separate: opts.separateUsers ?? false, poolId: opts.poolId ?? "", nextTaskUid: uids.next });
  if ("refused" in choice) {
    socket.end(encodeResult({ exitCode: 1, startTime: new Date(), endTime: new Date(), failure: { code: "UserIdentityUnavailable", message: choice.refused } }));
    return;
  }
  const { user } = choice;
  let node: ProcessUser | undefined;
  let result: ProcessResult;
  try {
    if (user) {
      try {
        await mkdir(req.cwd, { recursive: true });
        await mkdir(req.outputDir, { recursive: true });
        // The task's folder is in the job's, which the agent made: its owner is the node's user.
        node = await ownerOf(dirname(req.outputDir));
        await handOver(req.outputDir, req.cwd, user, node);
      } catch (err) {
        node = undefined;
        socket.end(encodeResult({ exitCode: 1, startTime: new Date(), endTime: new Date(), failure: { code: "StartFailed", message: `the runner could not give the task's folder to its user ${user.uid}: ${errorMessage(err)}` } }));
        return;
      }
    }
    result = await runProcess({ ...req, user, env: { ...userEnvironment(opts.baseEnv), ...req.env }, maxOutputBytes: opts.maxOutputBytes, signal });
  } finally {
    if (user && user.uid >= firstTaskUserId) {
      await stopUserProcesses(user).catch((err: unknown) => opts.log(`${req.outputDir}: processes its task's user left may still run: ${errorMessage(err)}`));
      uids.release(user.uid);
    }
    if (user && node) await handBack(req.outputDir, req.cwd, user, node).catch((err: unknown) => opts.log(`${req.outputDir}: not handed back to the node's user: ${errorMessage(err)}`));
  }
  // Stopped because the runner stops (its container ends): no result; the agent sees the
  // connection drop and counts the attempt as interrupted, not as the task's own exit.
  if (closing()) socket.destroy();
  else if (!socket.destroyed) socket.end(encodeResult(result));
}
