// What the integration suites need from the cluster that `make test` started for them.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type { KubeConfig } from "@kubernetes/client-node";
import { loadKubeConfig } from "../../../kube/kube-config.ts";
import { readInfo, type ClusterInfo } from "../../../local-cluster/control-plane.ts";
import { clusterPaths } from "../../../local-cluster/state.ts";

/** Why cluster tests cannot run, or undefined when KUBECONFIG points at a cluster. */
export const noCluster: string | undefined = process.env.KUBECONFIG ? undefined : "KUBECONFIG is not set: run through `make test`";

export function kubeConfig(): KubeConfig {
  return loadKubeConfig();
}

/** The local cluster's record, when the suite runs against the embedded cluster. */
export function localCluster(): ClusterInfo | undefined {
  return readInfo(clusterPaths());
}

/** kubectl of the built release when the local cluster is used, else the one on PATH. */
export function kubectlPath(): string {
  const info = localCluster();
  return info ? join(info.binDir, "kubectl") : "kubectl";
}

export async function kubectl(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(kubectlPath(), args, { env: process.env, maxBuffer: 16 << 20 });
}
