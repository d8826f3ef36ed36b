// `task-runner runner`: the node pod's `tasks` container, where user code runs — in the pool's
// image, without the ServiceAccount token and without the agent's environment. It serves the
// agent's run requests on a Unix socket (runner-server.ts) and, for a start task without
// waitForSuccess, runs it once per node pod beside the first tasks (a marker in the startup
// folder keeps a restarted runner from running it again).
import { mkdir, open } from "node:fs/promises";
import { dirname, join } from "node:path";
import { identityFromEnv, nodeLayout } from "../../../api/node-layout.ts";
import { commandLineEnv, maxRetriesEnv, runnerSocketEnv, separateTaskUsersEnv, startTaskEnvironmentEnv } from "../../../api/node-contract.ts";
import { poolUserId, type ProcessUser } from "./task-users.ts";
import { lockNodeFolders } from "./node-folders.ts";
import { runStartTask } from "../start-task/command.ts";
import { serveRunner } from "./runner-server.ts";
import type { StartTaskInfo } from "../../../api/pool.ts";
import { readStartTaskInfo, startTaskInfoPath, writeStartTaskInfo } from "../start-task/start-task-info.ts";
import { taskInterrupted } from "../../../api/failure-codes.ts";
import { maxOutputBytes } from "../process/capped-output.ts";

export async function runnerCommand(_argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const socket = env[runnerSocketEnv];
  if (!socket) throw new Error(`${runnerSocketEnv} is not set (the node pod spec sets it)`);
  const node = identityFromEnv(env);
  const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  await mkdir(dirname(socket), { recursive: true });
  const separateUsers = env[separateTaskUsersEnv] === "true";
  if (separateUsers) {
    if (process.getuid?.() !== 0) throw new Error(`${separateTaskUsersEnv} is set but the runner is not root: the tasks container of a pool with separateTaskUsers runs as root (the node pod spec says so)`);
    await lockNodeFolders(node.rootDir, dirname(socket));
  }
  const server = await serveRunner(socket, { baseEnv: env, log, maxOutputBytes: maxOutputBytes(env), separateUsers, poolId: node.poolId });
  log(`runner of node ${node.nodeId} listening on ${socket}`);
  const commandLine = env[commandLineEnv];
  // Azure's start task runs as the pool-scope non-admin auto user.
  if (commandLine) void startTaskOnce(commandLine, env, log, separateUsers ? { uid: poolUserId, gid: poolUserId } : undefined);
  return new Promise((resolve) => {
    // Also what keeps PID 1 of the container from ignoring these signals.
    const stop = async (signal: string) => {
      log(`${signal}: stopping ${server.running()} process(es)`);
      await server.close();
      resolve(0);
    };
    process.once("SIGTERM", () => void stop("SIGTERM"));
    process.once("SIGINT", () => void stop("SIGINT"));
  });
}

async function startTaskOnce(commandLine: string, env: NodeJS.ProcessEnv, log: (line: string) => void, user: ProcessUser | undefined): Promise<void> {
  const layout = nodeLayout(identityFromEnv(env).rootDir);
  await mkdir(layout.startup, { recursive: true });
  try {
    // "wx": only the first runner of this node pod gets to create it.
    await (await open(join(layout.startup, "start-task.started"), "wx")).close();
  } catch {
    log("the start task already ran in this node pod");
    // This runner's container restarted while it ran: that attempt ended with it.
    const record = startTaskInfoPath(layout.startup);
    const info = await readStartTaskInfo(record);
    if (info?.state === "Running") {
      await writeStartTaskInfo(record, {
        ...info,
        state: "Completed",
        endTime: new Date().toISOString(),
        result: "Failure",
        failureInfo: { category: "ServerError", code: taskInterrupted, message: "the start task was interrupted: the node's tasks container restarted while it ran (it runs once per node pod)" },
      }).catch(() => undefined);
    }
    return;
  }
  let settings: Record<string, string> = {};
  try {
    settings = JSON.parse(env[startTaskEnvironmentEnv] ?? "{}") as Record<string, string>;
  } catch {
    log(`${startTaskEnvironmentEnv} is not JSON; the start task runs without its environment settings`);
  }
  // Its record for the agent to report (the kubelet reports no process of this container).
  const record = startTaskInfoPath(layout.startup);
  const report = (info: StartTaskInfo) => writeStartTaskInfo(record, info).catch((err: unknown) => log(`could not write ${record}: ${err instanceof Error ? err.message : String(err)}`));
  const code = await runStartTask(commandLine, Number(env[maxRetriesEnv] ?? "0"), env, settings, report, user);
  log(`start task ended with exit code ${code}`);
}
