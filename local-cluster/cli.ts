// `kubatch cluster up|down|status [--state-dir DIR] [--no-azurite]`
import { parseArgs } from "node:util";
import { down, status, up } from "./control-plane.ts";
import { clusterPaths } from "./state.ts";

const usage = "usage: kubatch cluster up|down|status|deploy-local [--state-dir DIR] [--no-azurite] [--no-node]";

export async function clusterCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { "state-dir": { type: "string" }, "no-azurite": { type: "boolean" }, "no-node": { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  const paths = clusterPaths(values["state-dir"]);
  switch (positionals[0]) {
    case "up":
      await up({ paths, azurite: !values["no-azurite"], node: !values["no-node"] });
      return 0;
    case "down":
      await down({ paths });
      return 0;
    case "deploy-local":
      await (await import("./deploy-local.ts")).deployLocal({ paths });
      return 0;
    case "status": {
      const s = await status(paths);
      if (!s.info) {
        console.log(s.running ? "Cluster processes are running but the cluster never became ready; run `kubatch cluster down`." : "No cluster (run `make cluster-up`).");
        return 1;
      }
      console.log(`Kubernetes ${s.info.version} at ${s.info.server}: ${s.ready ? "ready" : "NOT READY"}`);
      console.log(`kubeconfig: ${s.info.kubeconfig}`);
      console.log(`azurite:    ${s.info.azuriteConnectionString}`);
      for (const p of s.alive) console.log(`  ${p.alive ? "running" : "EXITED "}  ${p.name.padEnd(24)} pid ${p.pid}`);
      return s.ready ? 0 : 1;
    }
    default:
      console.error(usage);
      return values.help ? 0 : 2;
  }
}
