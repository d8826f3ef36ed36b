// The task-runner: one program with modes, run inside kubatch node pods.
import { exitAfterFlush } from "../../kube/exit.ts";
const [mode, ...rest] = process.argv.slice(2);

const modes: Record<string, () => Promise<(argv: string[]) => Promise<number>>> = {
  fetch: async () => (await import("./fetch/command.ts")).fetchCommand,
  agent: async () => (await import("./agent/command.ts")).agentCommand,
  runner: async () => (await import("./runner/command.ts")).runnerCommand,
  "start-task": async () => (await import("./start-task/command.ts")).startTaskCommand,
  upload: async () => (await import("./container-upload/command.ts")).uploadCommand,
  "install-agent": async () => (await import("./install-agent/command.ts")).installAgentCommand,
  files: async () => (await import("./files/command.ts")).filesCommand,
};

async function main(): Promise<number> {
  const load = mode ? modes[mode] : undefined;
  if (!load) {
    console.error(`usage: task-runner <${Object.keys(modes).join("|")}> [args]`);
    return 2;
  }
  return (await load())(rest);
}

main().then(
  (code) => exitAfterFlush(code),
  (err: unknown) => {
    console.error(`task-runner ${mode}: ${err instanceof Error ? err.message : String(err)}`);
    exitAfterFlush(1);
  },
);
