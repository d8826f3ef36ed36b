// The kubatch command line. Subcommands load their module lazily so that each stays cheap.
const [command, ...rest] = process.argv.slice(2);

const commands: Record<string, { about: string; run: (argv: string[]) => Promise<number> }> = {
  cluster: {
    about: "up|down|status of the local Kubernetes control plane, process node and Azurite",
    run: async (argv) => (await import("../local-cluster/cli.ts")).clusterCommand(argv),
  },
  task: {
    about: "add (in bulk), list, output, reactivate: a job's tasks",
    run: async (argv) => (await import("./commands.ts")).taskCommand(argv),
  },
  job: {
    about: "wait, status: a job's progress",
    run: async (argv) => (await import("./commands.ts")).jobCommand(argv),
  },
  pool: {
    about: "autoscale: try a pool's autoscale formula now (dry run)",
    run: async (argv) => (await import("./commands.ts")).poolCommand(argv),
  },
};

async function main(): Promise<number> {
  const entry = command ? commands[command] : undefined;
  if (!entry) {
    console.error("usage: kubatch <command> [args]\n");
    for (const [name, c] of Object.entries(commands)) console.error(`  ${name.padEnd(10)} ${c.about}`);
    return command === undefined || command === "help" || command === "--help" || command === "-h" ? 0 : 2;
  }
  return entry.run(rest);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`kubatch ${command}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
