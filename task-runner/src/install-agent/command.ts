import { parseArgs } from "node:util";
import { installAgent } from "./install.ts";

export async function installAgentCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { dest: { type: "string" } } });
  if (!values.dest) {
    console.error("usage: task-runner install-agent --dest DIR");
    return 2;
  }
  const started = Date.now();
  const { files } = installAgent(values.dest);
  console.log(`install-agent: Node ${process.version} with ${files - 1} shared libraries and the task-runner in ${values.dest} (${Date.now() - started} ms)`);
  return 0;
}
