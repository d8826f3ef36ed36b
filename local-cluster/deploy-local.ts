// `make deploy-local`: the CRDs, the Task admission policies and the operator, run as a local
// process against the local cluster. The operator carries the cluster's id, so `cluster down`
// stops it too.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { KubeConfig, KubernetesObjectApi } from "@kubernetes/client-node";
import { jobTokenClusterRoleName } from "../api/job-token.ts";
import { readInfo } from "./control-plane.ts";
import { freePort } from "./ports.ts";
import { get, waitFor } from "./probe.ts";
import { isAlive, startDetached } from "./processes.ts";
import { clusterPaths, repoRoot, type ClusterPaths } from "./state.ts";

/**
 * Server-side apply through kubectl: client-node's object serializer drops the
 * x-kubernetes-* extensions of CustomResourceDefinitions, so it cannot apply our CRDs.
 */
export function applyManifests(kubectlPath: string, kubeconfig: string, files: string[]): string[] {
  const out = execFileSync(kubectlPath, ["--kubeconfig", kubeconfig, "apply", "--server-side", "--field-manager=kubatch-deploy", "-o", "name", ...files.flatMap((f) => ["-f", f])], {
    encoding: "utf8",
  });
  return out.split("\n").filter(Boolean);
}

export function crdFiles(): string[] {
  const dir = join(repoRoot, "crds");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * The Task admission policies the chart installs (charts/kubatch/files/admission, generated from
 * api/admission-policy.ts). The local operator runs as the cluster admin, which holds the
 * "assign" verb the policies ask the operator for, so they apply as they are.
 */
export function admissionPolicyFiles(): string[] {
  const dir = join(repoRoot, "charts", "kubatch", "files", "admission");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => join(dir, f));
}

export async function waitForCrds(kc: KubeConfig, names: string[]): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  await waitFor("CRDs to be established", 30_000, async () => {
    for (const name of names) {
      const crd = (await client.read({ apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name } })) as { status?: { conditions?: { type: string; status: string }[] } };
      if (!crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) return false;
    }
    return true;
  });
}

/** The Secret, in a pool's namespace, that holds the auto-storage connection string locally. */
export const autoStorageSecret = "kubatch-auto-storage";

const localOperatorConfig = `autoStorage:
  name: ${autoStorageSecret}
  key: connectionString
nodePodAnnotationPolicy: true
jobTokenClusterRole: ${jobTokenClusterRoleName}
autoscale:
  samplePeriod: 1s
vmSizes:
  small: { requests: { cpu: 100m, memory: 128Mi } }
  medium: { requests: { cpu: 400m, memory: 512Mi } }
  large: { requests: { cpu: "1", memory: 1Gi } }
`;

export type LocalOperator = { pid: number; healthPort: number; metricsPort: number; log: string };

export type DeployOptions = {
  paths?: ClusterPaths;
  log?: (line: string) => void;
  configFile?: string;
  /** Extra environment for the operator process (the crash suite's KUBATCH_FAILPOINTS); it still carries the cluster's id, so `cluster down` stops it. */
  env?: Record<string, string>;
};

export async function deployLocal(opts: DeployOptions = {}): Promise<LocalOperator> {
  const paths = opts.paths ?? clusterPaths();
  const log = opts.log ?? console.log;
  const info = readInfo(paths);
  if (!info) throw new Error("no local cluster: run `make cluster-up` first");
  const kc = new KubeConfig();
  kc.loadFromFile(info.kubeconfig);
  const crds = applyManifests(join(info.binDir, "kubectl"), info.kubeconfig, crdFiles());
  await waitForCrds(kc, crds.map((c) => c.replace(/^.*\//, "")));
  log(`applied ${crds.length} CRDs`);
  // After the CRDs are established: the policies' CEL is type-checked against their schemas.
  const policies = applyManifests(join(info.binDir, "kubectl"), info.kubeconfig, admissionPolicyFiles());
  log(`applied ${policies.length} admission policies and bindings`);

  // A second deploy replaces the running operator (e.g. after a code change).
  const record = join(paths.clusterDir, "operator.json");
  if (existsSync(record)) {
    const previous = JSON.parse(readFileSync(record, "utf8")) as LocalOperator;
    if (isAlive(previous.pid)) {
      process.kill(previous.pid, "SIGTERM");
      await waitFor("the previous operator to stop", 15_000, async () => !isAlive(previous.pid)).catch(() => {
        log(`the previous operator (pid ${previous.pid}) did not stop in 15 s: killing it`);
        process.kill(previous.pid, "SIGKILL");
      });
    }
  }
  const healthPort = await freePort();
  // autoStorageContainerName resolves through this Secret (Azurite's account in the local cluster).
  const configFile = opts.configFile ?? join(paths.clusterDir, "operator-config.yaml");
  // Autoscale samples every second here, so formulas react within the tests' patience. The
  // local cluster is one node of the machine's cores (2 on the project's machines): its sizes
  // ask for a fraction of the chart's defaults, so the suites' pools fit beside each other.
  if (!opts.configFile) writeFileSync(configFile, localOperatorConfig);
  const metricsPort = await freePort();
  const args = [join(repoRoot, "operator", "src", "main.ts"), `--health-addr=127.0.0.1:${healthPort}`, `--metrics-addr=127.0.0.1:${metricsPort}`, `--config=${configFile}`];
  const started = startDetached("operator", process.execPath, args, { clusterId: info.id, logDir: paths.logs, env: { ...opts.env, KUBECONFIG: info.kubeconfig } });
  await waitFor("the operator's /readyz", 60_000, async () => (await get(`http://127.0.0.1:${healthPort}/readyz`)).status === 200, () =>
    isAlive(started.pid) ? undefined : `the operator exited; see ${started.log}`,
  );
  const operator = { pid: started.pid, healthPort, metricsPort, log: started.log };
  writeFileSync(record, JSON.stringify(operator) + "\n");
  log(`operator running (pid ${started.pid}, log ${started.log})`);
  return operator;
}
