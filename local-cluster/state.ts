// Where a local cluster keeps its files. One state folder is one cluster: two clusters on
// one machine use two state folders (KUBATCH_STATE_DIR or --state-dir) and never share ports.
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(fileURLToPath(new URL("..", import.meta.url)));

export type ClusterPaths = {
  stateDir: string;
  kubeconfig: string;
  clusterDir: string;
  pki: string;
  etcdData: string;
  nodeDir: string;
  /** containerd's root (images, snapshots): kept across down/up so images load once. */
  imageStore: string;
  azuriteDir: string;
  logs: string;
  info: string;
};

export function clusterPaths(stateDir = process.env.KUBATCH_STATE_DIR ?? join(repoRoot, ".kubatch")): ClusterPaths {
  const root = resolve(stateDir);
  const clusterDir = join(root, "cluster");
  return {
    stateDir: root,
    kubeconfig: join(root, "kubeconfig"),
    clusterDir,
    pki: join(clusterDir, "pki"),
    etcdData: join(clusterDir, "etcd"),
    nodeDir: join(clusterDir, "node"),
    imageStore: join(root, "image-store"),
    azuriteDir: join(clusterDir, "azurite"),
    logs: join(root, "logs"),
    info: join(clusterDir, "cluster.json"),
  };
}

/** Binaries are cached outside the repository and shared by every clone and cluster. */
export function cacheRoot(): string {
  if (process.env.KUBATCH_CACHE_DIR) return resolve(process.env.KUBATCH_CACHE_DIR);
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "kubatch");
}
