// The local cluster's node: containerd + runc, the kubelet and kube-proxy, all in the node's
// network namespace, with the locally built images imported into containerd.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { cniBinDir } from "../images/host-packages.ts";
import { writeKubeconfig } from "../kubeconfig.ts";
import type { Pki } from "../pki.ts";
import { portOpen, waitFor } from "../probe.ts";
import { isAlive, type Started } from "../processes.ts";
import { containerdConfig, containerdPaths, type ContainerdPaths } from "./containerd.ts";
import { cgroupRoot, kubeletArgs, kubeletConfig, kubeletPaths, kubeProxyConfig } from "./kubelet.ts";
import { cniConflist, inNetns, type NodeNetwork } from "./network.ts";
import { createCgroups } from "./cleanup.ts";
import { saveSysctls } from "./host-claims.ts";

type Start = (name: string, command: string, args: string[], env?: NodeJS.ProcessEnv) => Started;

export type RealNodeInput = {
  nodeDir: string;
  imageStore: string;
  clusterDir: string;
  net: NodeNetwork;
  nodeName: string;
  server: string;
  pki: Pki;
  kubeletPort: number;
  binDir: string;
  /** Each image by the name pods use, and its OCI archive. */
  imageArchives: { name: string; archive: string }[];
  start: Start;
  log: (line: string) => void;
};

// containerd-shim-runc-v2 and runc live in /usr/bin and /usr/sbin; the node's PATH is fixed.
const nodePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function ctr(socket: string, args: string[]): string {
  return execFileSync("ctr", ["--address", socket, "--namespace", "k8s.io", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
}

export async function startRealNode(i: RealNodeInput): Promise<void> {
  const cd = containerdPaths(i.nodeDir, i.imageStore);
  const kl = kubeletPaths(i.nodeDir);
  for (const d of [cd.root, cd.state, cd.cniConfDir, kl.rootDir, kl.podLogsDir]) mkdirSync(d, { recursive: true });
  writeFileSync(cd.config, containerdConfig(cd, cniBinDir));
  writeFileSync(join(cd.cniConfDir, "10-kubatch.conflist"), JSON.stringify(cniConflist(i.net, join(i.nodeDir, "cni-ipam")), null, 2) + "\n");
  // No nameserver: there is nothing to resolve names against and no route out.
  writeFileSync(kl.resolvConf, "options ndots:1\n");

  const dead = (p: Started) => () => (isAlive(p.pid) ? undefined : `${p.name} exited; see ${p.log}`);
  const env = { PATH: nodePath };
  const c = inNetns(i.net, "containerd", [`--config=${cd.config}`, "--log-level=warn"]);
  const containerd = i.start("containerd", c.command, c.args, env);
  await waitFor("containerd's socket", 30_000, async () => existsSync(cd.socket) && versionOk(cd.socket), dead(containerd));

  // The store outlives clusters for its images; the containers of an earlier cluster go.
  const old = ctr(cd.socket, ["containers", "list", "--quiet"]).split("\n").filter(Boolean);
  if (old.length > 0) ctr(cd.socket, ["containers", "delete", ...old]);
  const importStarted = Date.now();
  const loaded = loadImages(cd, i.imageArchives);
  i.log(`containerd ${ctr(cd.socket, ["version"]).match(/Version:\s+(\S+)/)?.[1] ?? "?"} ready; ${loaded} of ${i.imageArchives.length} local images imported in ${((Date.now() - importStarted) / 1000).toFixed(1)}s`);

  createCgroups(cgroupRoot(i.net));
  // The kubelet sets a few kernel settings host-wide; `down` of the last cluster restores them.
  saveSysctls();
  const kubeletKubeconfig = join(i.clusterDir, "kubelet.kubeconfig");
  writeKubeconfig(kubeletKubeconfig, i.server, i.pki.servingCa, i.pki.nodeClient);
  writeFileSync(
    kl.config,
    kubeletConfig({ paths: kl, net: i.net, port: i.kubeletPort, clientCaFile: i.pki.clientCa, tlsCertFile: i.pki.kubeletServing.cert, tlsPrivateKeyFile: i.pki.kubeletServing.key, containerdSocket: cd.socket, maxPods: 250 }),
  );
  const k = inNetns(i.net, join(i.binDir, "kubelet"), kubeletArgs({ paths: kl, config: kl.config, kubeconfig: kubeletKubeconfig, nodeName: i.nodeName, certDir: join(kl.dir, "pki"), net: i.net }));
  const kubelet = i.start("kubelet", k.command, k.args, env);

  const proxyKubeconfig = join(i.clusterDir, "kube-proxy.kubeconfig");
  writeKubeconfig(proxyKubeconfig, i.server, i.pki.servingCa, i.pki.kubeProxy);
  const proxyConfig = join(i.nodeDir, "kube-proxy.yaml");
  writeFileSync(proxyConfig, kubeProxyConfig({ kubeconfig: proxyKubeconfig, net: i.net, nodeName: i.nodeName }));
  const p = inNetns(i.net, join(i.binDir, "kube-proxy"), [`--config=${proxyConfig}`, "--v=1"]);
  i.start("kube-proxy", p.command, p.args, env);
  await waitFor("the kubelet's port", 60_000, () => portOpen(i.kubeletPort, i.net.nodeIp), dead(kubelet));
}

/**
 * Imports the archives containerd does not hold yet: an archive's name carries its image id,
 * the store records which it imported, and an image containerd lost meanwhile (removed by
 * hand, or by the kubelet under disk pressure) is imported again. Returns how many it imported.
 */
export function loadImages(cd: ContainerdPaths, archives: { name: string; archive: string }[]): number {
  const record = join(cd.root, "kubatch-imported.json");
  const done = new Set<string>(existsSync(record) ? (JSON.parse(readFileSync(record, "utf8")) as string[]) : []);
  const held = new Set(ctr(cd.socket, ["images", "list", "--quiet"]).split("\n").filter(Boolean));
  let loaded = 0;
  for (const { name, archive } of archives) {
    if (done.has(basename(archive)) && held.has(name)) continue;
    ctr(cd.socket, ["images", "import", archive]);
    done.add(basename(archive));
    loaded++;
    writeFileSync(record, JSON.stringify([...done], null, 2) + "\n");
  }
  return loaded;
}

function versionOk(socket: string): boolean {
  try {
    ctr(socket, ["version"]);
    return true;
  } catch {
    return false;
  }
}

export function nodeLeftovers(nodeDir: string, net: NodeNetwork) {
  return { net, cgroupRoot: cgroupRoot(net), podLogsDir: kubeletPaths(nodeDir).podLogsDir };
}
