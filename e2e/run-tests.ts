// The project's test command: typecheck, then every *.test.ts in one `node --test` run,
// against a fresh local cluster of its own (state folder .kubatch/test) that is brought
// down afterwards, whatever happened. The operator runs against it as a local process. `--unit` skips the cluster (cluster tests then skip).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { down, up } from "../local-cluster/control-plane.ts";
import { deployLocal } from "../local-cluster/deploy-local.ts";
import { clusterPaths, repoRoot } from "../local-cluster/state.ts";

const { values } = parseArgs({ options: { unit: { type: "boolean" } } });

/** The test runner while it runs, so a signal can stop it. */
let child: ReturnType<typeof spawn> | undefined;

// Asynchronous on purpose: this process is the parent of the cluster's processes, and a
// blocked event loop would leave them unreaped (zombies) when tests stop them.
function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    child = spawn(command, args, { cwd: repoRoot, stdio: "inherit", env });
    child.on("close", (code) => resolve(code ?? 1));
    child.on("error", () => resolve(1));
  });
}

const node = process.execPath;
const patterns = ["api/**/*.test.ts", "kube/**/*.test.ts", "storage/**/*.test.ts", "operator/**/*.test.ts", "cli/**/*.test.ts", "task-runner/**/*.test.ts", "local-cluster/**/*.test.ts", "examples/**/*.test.ts", "e2e/**/*.test.ts"];

async function main(): Promise<number> {
  console.log("== typecheck");
  if ((await run(join(repoRoot, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.json"])) !== 0) return 1;

  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.KUBECONFIG;
  const paths = clusterPaths(join(repoRoot, ".kubatch", "test"));
  if (!values.unit) {
    console.log("== local cluster for the tests");
    // A fresh cluster each run: an earlier run that was interrupted leaves its cluster up,
    // running images and code of before.
    await down({ paths, log: () => {} });
    // Interrupted (Ctrl-C, a CI timeout): the cluster still goes, and so do the test processes.
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      process.once(sig, () => {
        console.log(`== ${sig}: local cluster down`);
        child?.kill("SIGTERM");
        down({ paths }).finally(() => process.exit(130));
      });
    }
    const info = await up({ paths });
    await deployLocal({ paths });
    env.KUBECONFIG = info.kubeconfig;
    env.KUBATCH_STATE_DIR = paths.stateDir;
    env.AZURITE_CONNECTION_STRING = info.azuriteConnectionString;
  }
  try {
    console.log("== tests");
    return await run(node, ["--test", "--test-reporter=spec", "--test-timeout=300000", ...patterns], env);
  } finally {
    if (!values.unit) {
      console.log("== local cluster down");
      await down({ paths });
    }
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
