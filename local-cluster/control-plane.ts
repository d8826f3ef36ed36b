// Brings one local cluster up and down: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, a real node (containerd, runc, the kubelet, kube-proxy) and Azurite. The
// control plane's own links stay on loopback; the API server and Azurite listen on the host's
// end of the node's link (node/network.ts), the only address pods can reach.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { ensureKubeBinaries } from "./kube-build.ts";
import { ensurePki, type Pki } from "./pki.ts";
import { ensureImages, localImages, type LocalImage } from "./images/build.ts";
import { ensureHostPackages } from "./images/host-packages.ts";
import { claimFreeSlot, createNetwork, networkPlan, type NodeNetwork } from "./node/network.ts";
import { releaseSlot, restoreSysctls, slotOwner } from "./node/host-claims.ts";
import { mountsUnder, removeNodeLeftovers, unmountUnder } from "./node/cleanup.ts";
import { nodeLeftovers, startRealNode } from "./node/real-node.ts";
import { writeKubeconfig } from "./kubeconfig.ts";
import { freePorts } from "./ports.ts";
import { get, portOpen, waitFor } from "./probe.ts";
import { clusterProcesses, isAlive, startDetached, stopAll, type Started } from "./processes.ts";
import { clusterPaths, repoRoot, type ClusterPaths } from "./state.ts";
import { azuriteCommand, azuriteConnectionString } from "./azurite.ts";

const portNames = ["etcd", "etcdPeer", "apiserver", "controllerManager", "scheduler", "kubelet", "azurite"] as const;
export type Ports = Record<(typeof portNames)[number], number>;

export const nodeName = "kubatch-local-node";

export type ClusterInfo = {
  id: string;
  version: string;
  binDir: string;
  ports: Ports;
  server: string;
  kubeconfig: string;
  azuriteConnectionString: string;
  network: NodeNetwork;
  processes: Started[];
  startedAt: string;
};

export function readInfo(paths: ClusterPaths): ClusterInfo | undefined {
  if (!existsSync(paths.info)) return undefined;
  return JSON.parse(readFileSync(paths.info, "utf8")) as ClusterInfo;
}

function pkiOf(paths: ClusterPaths, net: NodeNetwork): Pki {
  return ensurePki(paths.pki, { apiserverIp: net.hostIp, nodeIp: net.nodeIp, nodeName });
}

/** The network slot this state folder last used (kept beside the cluster so `down` finds it after a crash). */
function networkFile(paths: ClusterPaths): string {
  return join(paths.stateDir, "network.json");
}

function lastNetwork(paths: ClusterPaths): NodeNetwork | undefined {
  if (!existsSync(networkFile(paths))) return undefined;
  return networkPlan((JSON.parse(readFileSync(networkFile(paths), "utf8")) as { slot: number }).slot);
}

/** Stops every process of this state folder and removes what its node left on the host. */
async function stopCluster(paths: ClusterPaths, log: (line: string) => void): Promise<number> {
  const stopped = await stopAll(paths.stateDir, 10_000, log);
  const net = lastNetwork(paths);
  if (net) {
    // Only a slot this state folder still holds is its to clean: after a reboot (claims gone)
    // another cluster may own that slot's namespace and cgroups now.
    if (slotOwner(net.slot) === paths.stateDir) {
      await removeNodeLeftovers(nodeLeftovers(paths.nodeDir, net), log);
      releaseSlot(net.slot, paths.stateDir);
    }
    rmSync(networkFile(paths), { force: true });
  }
  // This state folder's own mounts (container roots, pod namespaces, volumes), whoever holds the slot.
  for (const dir of [paths.nodeDir, paths.imageStore]) unmountUnder(dir, log);
  const left = [...mountsUnder(paths.nodeDir), ...mountsUnder(paths.imageStore)];
  if (left.length > 0) throw new Error(`mounts are left under ${paths.stateDir} (${left.slice(0, 3).join(", ")}…): not removing its files; unmount them and run down again`);
  restoreSysctls(log);
  return stopped;
}

export async function apiserverReady(info: ClusterInfo, pki: Pki): Promise<boolean> {
  try {
    const res = await get(`${info.server}/readyz`, { ca: pki.servingCa, cert: pki.admin.cert, key: pki.admin.key }, 2_000);
    return res.status === 200;
  } catch {
    return false;
  }
}

/** `node: false` leaves the node out, for working on the node itself against a real control plane. */
export type UpOptions = { paths?: ClusterPaths; azurite?: boolean; node?: boolean; log?: (line: string) => void };

export async function up(opts: UpOptions = {}): Promise<ClusterInfo> {
  const paths = opts.paths ?? clusterPaths();
  const log = opts.log ?? console.log;
  ensureHostPackages(log);
  const bins = await ensureKubeBinaries(log);
  const existing = readInfo(paths);
  if (existing && (await apiserverReady(existing, pkiOf(paths, existing.network)))) {
    log(`Cluster already running (${existing.server}); kubeconfig: ${existing.kubeconfig}`);
    return existing;
  }
  const id = paths.stateDir;
  if (clusterProcesses(id).length > 0 || lastNetwork(paths)) {
    log("Stopping the leftovers of an earlier cluster in this state folder");
    await stopCluster(paths, log);
  }
  const images = opts.node === false ? [] : Object.entries(await ensureImages(log)).map(([image, archive]) => ({ name: localImages[image as LocalImage], archive }));
  // A cluster starts from empty data each time; certificates are kept.
  for (const dir of [paths.etcdData, paths.nodeDir, paths.azuriteDir]) rmSync(dir, { recursive: true, force: true });
  rmSync(paths.info, { force: true });
  for (const dir of [paths.clusterDir, paths.etcdData, paths.nodeDir, paths.azuriteDir, paths.logs]) mkdirSync(dir, { recursive: true });

  const started = Date.now();
  const net = networkPlan(claimFreeSlot(paths.stateDir));
  writeFileSync(networkFile(paths), JSON.stringify({ slot: net.slot }) + "\n");
  createNetwork(net);
  log(`node network ${net.netns}: API server and Azurite on ${net.hostIp}, node ${net.nodeIp}, pods ${net.podCidr}`);
  const pki = pkiOf(paths, net);
  const ports = await freePorts(portNames);
  const server = `https://${net.hostIp}:${ports.apiserver}`;
  const processes: Started[] = [];
  const start = (name: string, command: string, args: string[], env?: NodeJS.ProcessEnv) => {
    const p = startDetached(name, command, args, { clusterId: id, logDir: paths.logs, env, cwd: paths.clusterDir });
    processes.push(p);
    return p;
  };
  const deadCheck = (p: Started) => () => (isAlive(p.pid) ? undefined : `${p.name} exited; see ${p.log}`);

  try {
    const etcd = start("etcd", bins.path("etcd"), [
      "--name=local",
      `--data-dir=${paths.etcdData}`,
      `--listen-client-urls=http://127.0.0.1:${ports.etcd}`,
      `--advertise-client-urls=http://127.0.0.1:${ports.etcd}`,
      `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
      `--initial-cluster=local=http://127.0.0.1:${ports.etcdPeer}`,
      "--unsafe-no-fsync",
      "--quota-backend-bytes=8589934592",
      "--log-level=warn",
    ]);
    await waitFor("etcd", 30_000, async () => (await get(`http://127.0.0.1:${ports.etcd}/health`)).status === 200, deadCheck(etcd));
    log(`etcd ready on 127.0.0.1:${ports.etcd}`);

    const apiserver = start("kube-apiserver", bins.path("kube-apiserver"), [
      `--etcd-servers=http://127.0.0.1:${ports.etcd}`,
      `--bind-address=${net.hostIp}`,
      `--advertise-address=${net.hostIp}`,
      `--secure-port=${ports.apiserver}`,
      `--tls-cert-file=${pki.apiserver.cert}`,
      `--tls-private-key-file=${pki.apiserver.key}`,
      `--client-ca-file=${pki.clientCa}`,
      "--authorization-mode=Node,RBAC",
      "--enable-admission-plugins=NodeRestriction",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      `--service-cluster-ip-range=${net.serviceCidr}`,
      "--allow-privileged=true",
      `--kubelet-client-certificate=${pki.kubeletClient.cert}`,
      `--kubelet-client-key=${pki.kubeletClient.key}`,
      `--kubelet-certificate-authority=${pki.servingCa}`,
      "--kubelet-preferred-address-types=InternalIP",
      "--profiling=false",
      // Bulk task creation and many node agents' watches share one small machine.
      "--max-requests-inflight=1000",
      "--max-mutating-requests-inflight=500",
      "--v=1",
    ]);
    const info: ClusterInfo = {
      id,
      version: bins.version,
      binDir: bins.binDir,
      ports,
      server,
      kubeconfig: paths.kubeconfig,
      azuriteConnectionString: azuriteConnectionString(net.hostIp, ports.azurite),
      network: net,
      processes,
      startedAt: new Date().toISOString(),
    };
    await waitFor("kube-apiserver /readyz", 90_000, () => apiserverReady(info, pki), deadCheck(apiserver));
    log(`kube-apiserver ${bins.version} ready at ${server}`);

    writeKubeconfig(paths.kubeconfig, server, pki.servingCa, pki.admin);
    const kcmKubeconfig = join(paths.clusterDir, "controller-manager.kubeconfig");
    const schedulerKubeconfig = join(paths.clusterDir, "scheduler.kubeconfig");
    writeKubeconfig(kcmKubeconfig, server, pki.servingCa, pki.controllerManager);
    writeKubeconfig(schedulerKubeconfig, server, pki.servingCa, pki.scheduler);

    start("kube-controller-manager", bins.path("kube-controller-manager"), [
      `--kubeconfig=${kcmKubeconfig}`,
      `--authentication-kubeconfig=${kcmKubeconfig}`,
      `--authorization-kubeconfig=${kcmKubeconfig}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${ports.controllerManager}`,
      "--leader-elect=false",
      "--use-service-account-credentials=true",
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.servingCa}`,
      "--v=1",
    ]);
    start("kube-scheduler", bins.path("kube-scheduler"), [
      `--kubeconfig=${schedulerKubeconfig}`,
      `--authentication-kubeconfig=${schedulerKubeconfig}`,
      `--authorization-kubeconfig=${schedulerKubeconfig}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${ports.scheduler}`,
      "--leader-elect=false",
      "--v=1",
    ]);
    if (opts.node !== false) {
      await startRealNode({ nodeDir: paths.nodeDir, imageStore: paths.imageStore, clusterDir: paths.clusterDir, net, nodeName, server, pki, kubeletPort: ports.kubelet, binDir: bins.binDir, imageArchives: images, start, log });
    }
    if (opts.azurite !== false) {
      const az = azuriteCommand(net.hostIp, ports.azurite, paths.azuriteDir);
      const azurite = start("azurite", az.command, az.args);
      await waitFor("azurite", 30_000, () => portOpen(ports.azurite, net.hostIp), deadCheck(azurite));
      log(`azurite ready on ${net.hostIp}:${ports.azurite}`);
    }
    writeFileSync(paths.info, JSON.stringify(info, null, 2) + "\n");

    const kc = new KubeConfig();
    kc.loadFromFile(paths.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    if (opts.node !== false) await waitFor(`node ${nodeName} Ready and schedulable`, 90_000, async () => {
      const node = await core.readNode({ name: nodeName });
      const ready = node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
      const tainted = node.spec?.taints?.some((t) => t.key === "node.kubernetes.io/not-ready");
      return Boolean(ready) && !tainted;
    }, deadCheck(processes.find((p) => p.name === "kubelet")!));
    await waitFor("the default ServiceAccount and kube-root-ca.crt", 60_000, async () => {
      await core.readNamespacedServiceAccount({ name: "default", namespace: "default" });
      await core.readNamespacedConfigMap({ name: "kube-root-ca.crt", namespace: "default" });
      return true;
    });
    log(`Cluster ready in ${((Date.now() - started) / 1000).toFixed(1)}s. export KUBECONFIG=${paths.kubeconfig}`);
    return info;
  } catch (err) {
    log(`Cluster failed to start; logs are in ${paths.logs}. Stopping what was started.`);
    await stopCluster(paths, log);
    throw err;
  }
}

export async function down(opts: { paths?: ClusterPaths; log?: (line: string) => void } = {}): Promise<void> {
  const paths = opts.paths ?? clusterPaths();
  const log = opts.log ?? console.log;
  const stopped = await stopCluster(paths, log);
  for (const dir of [paths.etcdData, paths.nodeDir, paths.azuriteDir]) rmSync(dir, { recursive: true, force: true });
  rmSync(paths.info, { force: true });
  rmSync(paths.kubeconfig, { force: true });
  const left = clusterProcesses(paths.stateDir);
  if (left.length > 0) throw new Error(`processes still running after down: ${left.join(", ")}`);
  log(stopped > 0 ? `Stopped ${stopped} processes; cluster data removed (logs kept in ${paths.logs}).` : "No cluster was running.");
}

export type Status = { running: boolean; ready: boolean; info?: ClusterInfo; alive: { name: string; pid: number; alive: boolean }[] };

export async function status(paths = clusterPaths()): Promise<Status> {
  const info = readInfo(paths);
  if (!info) return { running: clusterProcesses(paths.stateDir).length > 0, ready: false, alive: [] };
  const alive = info.processes.map((p) => ({ name: p.name, pid: p.pid, alive: isAlive(p.pid) }));
  const ready = await apiserverReady(info, pkiOf(paths, info.network));
  return { running: alive.some((p) => p.alive), ready, info, alive };
}
