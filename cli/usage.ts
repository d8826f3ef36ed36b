// Argument parsing shared by the kubatch subcommands: usage errors exit 2 and name the
// argument; every other error exits 1. Help goes to stdout so that it can be paged.
import { readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A wrong command line: reported with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A failure worth one line to the user (not found, forbidden, …): exit code 1, no stack. */
export class CliError extends Error {
  override name = "CliError";
}

/** Options every command that talks to the cluster accepts (kubectl's spelling). */
export const clusterOptions = {
  namespace: { type: "string", short: "n" },
  kubeconfig: { type: "string" },
  context: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export const clusterOptionsHelp = `  -n, --namespace NS   namespace (default: the kubeconfig context's, else "default")
      --kubeconfig FILE  kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)
      --context NAME     kubeconfig context
  -h, --help           this help`;

/** node:util parseArgs, with its errors (unknown option, missing value) turned into UsageErrors. */
export function parseCommandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) throw new UsageError((err as Error).message);
    throw err;
  }
}

/** Exactly `names.length` positionals, else a UsageError naming the missing or extra one. */
export function positionalArgs(positionals: string[], names: string[]): string[] {
  if (positionals.length < names.length) throw new UsageError(`missing argument ${names[positionals.length]}`);
  if (positionals.length > names.length) throw new UsageError(`unexpected argument "${positionals[names.length]}"`);
  return positionals;
}

/** A command, or a group of its own (`task file list|get`). */
export type Subcommand =
  | { about: string; load: () => Promise<{ help: string; run: (argv: string[]) => Promise<number> }> }
  | { about: string; commands: Record<string, Subcommand> };

/** Runs `<group> <subcommand> …`, mapping errors to messages and exit codes. */
export async function runGroup(group: string, subcommands: Record<string, Subcommand>, argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const sub = name === undefined ? undefined : subcommands[name];
  if (!sub) {
    const width = Math.max(...Object.keys(subcommands).map((n) => n.length));
    const lines = Object.entries(subcommands).map(([n, s]) => `  ${n.padEnd(width)}  ${s.about}`);
    const text = `usage: kubatch ${group} <command> [options]\n\n${lines.join("\n")}\n\nRun 'kubatch ${group} <command> --help' for a command's options.`;
    if (name === undefined || name === "help" || name === "--help" || name === "-h") {
      console.log(text);
      return 0;
    }
    console.error(`kubatch ${group}: unknown command "${name}"\n\n${text}`);
    return 2;
  }
  if ("commands" in sub) return runGroup(`${group} ${name}`, sub.commands, rest);
  const { help, run } = await sub.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(help);
    return 0;
  }
  try {
    return await run(rest);
  } catch (err) {
    const where = `kubatch ${group} ${name}`;
    if (err instanceof UsageError) {
      console.error(`${where}: ${err.message}\nRun '${where} --help' for usage.`);
      return 2;
    }
    if (err instanceof CliError) {
      console.error(`${where}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

/** The text of the file an option names, or a CliError naming the option (`--samples f.json: no such file`). */
export function readOptionFile(option: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new CliError(`${option}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
}

/** An option that names one of `choices`, in any case (`--tasks requeue` → "Requeue"), or a UsageError listing them. */
export function choiceOption<C extends string>(option: string, value: string, choices: readonly C[]): C {
  const found = choices.find((c) => c.toLowerCase() === value.toLowerCase());
  if (!found) throw new UsageError(`${option}: "${value}" is not one of ${choices.map((c) => c.toLowerCase()).join(", ")}`);
  return found;
}

/** `--reason` of a terminate (a job's or a work item's terminateReason): 1 to 1024 characters, else a UsageError. */
export function terminateReasonOption(reason: string | undefined): string | undefined {
  if (reason !== undefined && (reason.length === 0 || reason.length > 1024)) throw new UsageError("--reason: must be 1 to 1024 characters");
  return reason;
}
