// The kubatch command line. Subcommands load their module lazily so that each stays cheap.
import { readFileSync } from "node:fs";
import { exitAfterFlush } from "../kube/exit.ts";
import { groups, runCommandGroup } from "./commands.ts";

const [command, ...rest] = process.argv.slice(2);

const commands: Record<string, { about: string; run: (argv: string[]) => Promise<number> }> = {
  cluster: {
    about: "up|down|status|deploy-local: the local Kubernetes control plane, nodes and Azurite",
    run: async (argv) => (await import("../local-cluster/cli.ts")).clusterCommand(argv),
  },
  // Each group's line names every command it has: the help cannot fall behind.
  ...Object.fromEntries(
    Object.entries(groups).map(([name, g]) => [name, { about: `${Object.keys(g.commands).join(", ")}: ${g.about}`, run: (argv: string[]) => runCommandGroup(name, argv) }]),
  ),
};

/** The version of the kubatch the CLI belongs to (package.json beside it). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

async function main(): Promise<number> {
  if (command === "--version" || command === "version") {
    console.log(`kubatch ${version()}`);
    return 0;
  }
  const entry = command ? commands[command] : undefined;
  if (!entry) {
    const help = command === undefined || command === "help" || command === "--help" || command === "-h";
    const out = help ? console.log : console.error;
    if (!help) out(`kubatch: unknown command "${command}"\n`);
    out("usage: kubatch <command> [args]\n");
    for (const [name, c] of Object.entries(commands)) out(`  ${name.padEnd(10)} ${c.about}`);
    out("\n  --version  the version\nRun 'kubatch <command> --help' for a command's commands, 'kubatch <command> <sub> --help' for its options.");
    return help ? 0 : 2;
  }
  return entry.run(rest);
}

main().then(
  (code) => exitAfterFlush(code),
  (err: unknown) => {
    console.error(`kubatch ${command}: ${err instanceof Error ? err.message : String(err)}`);
    exitAfterFlush(1);
  },
);
