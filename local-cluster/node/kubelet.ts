// The upstream kubelet and kube-proxy of the cluster's release, inside the node's network
// namespace. Everything the kubelet writes lives under the state folder (root dir, pod logs,
// certificates) and its cgroups under /kubatch-<slot>, so two clusters never touch each
// other's pods and `down` removes all of it.
import { join } from "node:path";
import { dumpYaml } from "@kubernetes/client-node";
import type { NodeNetwork } from "./network.ts";

export type KubeletPaths = { dir: string; rootDir: string; podLogsDir: string; config: string; resolvConf: string };

export function kubeletPaths(nodeDir: string): KubeletPaths {
  const dir = join(nodeDir, "kubelet");
  return {
    dir,
    rootDir: join(dir, "root"),
    podLogsDir: join(dir, "pod-logs"),
    config: join(dir, "config.yaml"),
    resolvConf: join(dir, "resolv.conf"),
  };
}

/** The cgroup (in every v1 hierarchy) that holds all of this node's pods. */
export function cgroupRoot(net: NodeNetwork): string {
  return `/kubatch-${net.slot}`;
}

export type KubeletConfigInput = {
  paths: KubeletPaths;
  net: NodeNetwork;
  port: number;
  clientCaFile: string;
  tlsCertFile: string;
  tlsPrivateKeyFile: string;
  containerdSocket: string;
  maxPods: number;
};

/** KubeletConfiguration (kubelet.config.k8s.io/v1beta1). */
export function kubeletConfig(i: KubeletConfigInput): string {
  return dumpYaml({
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    address: i.net.nodeIp,
    port: i.port,
    readOnlyPort: 0,
    // Inside the node's namespace: its loopback is its own.
    healthzBindAddress: "127.0.0.1",
    healthzPort: 10248,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: i.clientCaFile } },
    authorization: { mode: "Webhook" },
    tlsCertFile: i.tlsCertFile,
    tlsPrivateKeyFile: i.tlsPrivateKeyFile,
    serverTLSBootstrap: false,
    containerRuntimeEndpoint: `unix://${i.containerdSocket}`,
    cgroupDriver: "cgroupfs",
    cgroupRoot: cgroupRoot(i.net),
    cgroupsPerQOS: true,
    // The project's machines mount cgroup v1 controllers; 1.34 still runs there.
    failCgroupV1: false,
    failSwapOn: false,
    podLogsDir: i.paths.podLogsDir,
    // Pods resolve nothing outside: there is no cluster DNS and no route out.
    resolvConf: i.paths.resolvConf,
    clusterDomain: "cluster.local",
    maxPods: i.maxPods,
    podCIDR: i.net.podCidr,
    serializeImagePulls: false,
    // Shared machines: keep pods unless the disk is really full, and never collect the
    // locally built images (they cannot be pulled back).
    evictionHard: { "memory.available": "100Mi", "nodefs.available": "2%", "imagefs.available": "2%", "nodefs.inodesFree": "1%" },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    nodeStatusReportFrequency: "1m",
    syncFrequency: "10s",
    fileCheckFrequency: "20s",
    // No ip{,6}tables chains of the kubelet's own (kube-proxy owns the namespace's rules).
    makeIPTablesUtilChains: false,
    shutdownGracePeriod: "0s",
    containerLogMaxSize: "10Mi",
    containerLogMaxFiles: 3,
  });
}

export function kubeletArgs(i: { paths: KubeletPaths; config: string; kubeconfig: string; nodeName: string; certDir: string; net: NodeNetwork }): string[] {
  return [
    `--config=${i.config}`,
    `--kubeconfig=${i.kubeconfig}`,
    `--root-dir=${i.paths.rootDir}`,
    `--cert-dir=${i.certDir}`,
    `--hostname-override=${i.nodeName}`,
    `--node-ip=${i.net.nodeIp}`,
    `--node-labels=node.kubernetes.io/instance-type=local`,
    "--v=1",
  ];
}

export function kubeProxyConfig(i: { kubeconfig: string; net: NodeNetwork; nodeName: string }): string {
  return dumpYaml({
    apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
    kind: "KubeProxyConfiguration",
    clientConnection: { kubeconfig: i.kubeconfig },
    hostnameOverride: i.nodeName,
    mode: "iptables",
    clusterCIDR: i.net.podCidr,
    bindAddress: i.net.nodeIp,
    // Inside the node's namespace: its loopback is its own.
    healthzBindAddress: "127.0.0.1:10256",
    metricsBindAddress: "127.0.0.1:10249",
    conntrack: { maxPerCore: 0 },
    iptables: { localhostNodePorts: false },
  });
}
