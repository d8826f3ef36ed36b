// The node's network: each local cluster's node (containerd, the kubelet, kube-proxy and so
// every pod) lives in a network namespace of its own, `kubatch-<slot>`, joined to the host by
// one veth pair. Two clusters on one machine never share iptables rules, bridges or routes,
// and the node has no default route: pods reach the host's end of the link (the API server,
// Azurite) and each other, nothing else. Addresses come from 198.18.0.0/15, the block
// reserved for network tests (RFC 2544), so they never meet a real network.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { claimSlot } from "./host-claims.ts";

export type NodeNetwork = {
  /** 1..250; picks every name and address below. */
  slot: number;
  netns: string;
  /** The host's end of the link: the API server, Azurite and the kubelet's peer bind here. */
  hostIp: string;
  /** The node's end: the Node's InternalIP, where the kubelet serves. */
  nodeIp: string;
  hostLink: string;
  nodeLink: string;
  /** The pods' subnet on the node's bridge, and that bridge's own address (the pods' gateway). */
  podCidr: string;
  bridge: string;
  bridgeIp: string;
  /** Service ClusterIPs; kube-proxy inside the node namespace gives them meaning. */
  serviceCidr: string;
  kubernetesServiceIp: string;
};

export const maxSlot = 250;

/** Every name and address of one slot (pure: the table test pins them). */
export function networkPlan(slot: number): NodeNetwork {
  if (!Number.isInteger(slot) || slot < 1 || slot > maxSlot) throw new Error(`network slot ${slot} is not in 1..${maxSlot}`);
  return {
    slot,
    netns: `kubatch-${slot}`,
    hostIp: `198.18.${slot}.1`,
    nodeIp: `198.18.${slot}.2`,
    hostLink: `kbh${slot}`,
    nodeLink: `kbn${slot}`,
    podCidr: `198.19.${slot}.0/24`,
    bridge: `kbbr${slot}`,
    bridgeIp: `198.19.${slot}.1`,
    serviceCidr: "10.0.0.0/24",
    kubernetesServiceIp: "10.0.0.1",
  };
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export function netnsPath(netns: string): string {
  return `/run/netns/${netns}`;
}

/** Claims the first slot no cluster holds and no namespace or link uses (node/host-claims.ts). */
export function claimFreeSlot(stateDir: string): number {
  return claimSlot(stateDir, maxSlot, (slot) => {
    const plan = networkPlan(slot);
    return existsSync(netnsPath(plan.netns)) || linkExists(plan.hostLink);
  });
}

function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/** Runs a command inside the node's namespace (network only: mounts and /sys stay the host's). */
export function inNetns(net: NodeNetwork, cmd: string, args: string[]): { command: string; args: string[] } {
  return { command: "nsenter", args: [`--net=${netnsPath(net.netns)}`, "--", cmd, ...args] };
}

/** Creates the namespace, the link and the host's route to the pods, for a slot this cluster claimed. */
export function createNetwork(net: NodeNetwork): void {
  removeNetwork(net);
  run("ip", ["netns", "add", net.netns]);
  const ns = (...args: string[]) => run("ip", ["-n", net.netns, ...args]);
  run("ip", ["link", "add", net.hostLink, "type", "veth", "peer", "name", net.nodeLink, "netns", net.netns]);
  run("ip", ["addr", "add", `${net.hostIp}/30`, "dev", net.hostLink]);
  run("ip", ["link", "set", net.hostLink, "up"]);
  // The host never forwards what arrives from the node (even where ip_forward is on), and
  // the link carries no IPv6.
  run("sysctl", ["-qw", `net.ipv4.conf.${net.hostLink}.forwarding=0`, `net.ipv6.conf.${net.hostLink}.disable_ipv6=1`]);
  ns("link", "set", "lo", "up");
  ns("addr", "add", `${net.nodeIp}/30`, "dev", net.nodeLink);
  ns("link", "set", net.nodeLink, "up");
  // The host answers pods directly (no NAT); it forwards nothing (ip_forward stays as it is).
  run("ip", ["route", "add", net.podCidr, "via", net.nodeIp, "dev", net.hostLink]);
  // Inside the node: routing between the pods' bridge and the link, and the Service IPs.
  run("ip", ["netns", "exec", net.netns, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
  // A pod reaching a Service whose endpoint is on its own bridge must pass kube-proxy's rules.
  try {
    run("ip", ["netns", "exec", net.netns, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1"]);
  } catch {
    // br_netfilter absent: only hairpin Service traffic is affected.
  }
}

/** Deletes the namespace (its bridge and pods' links go with it) and the host's end. */
export function removeNetwork(net: NodeNetwork): void {
  if (linkExists(net.hostLink)) run("ip", ["link", "del", net.hostLink]);
  if (existsSync(netnsPath(net.netns))) run("ip", ["netns", "del", net.netns]);
}

/** The CNI configuration of the pods' network: a bridge, host-local addresses, loopback. */
export function cniConflist(net: NodeNetwork, ipamDataDir: string): object {
  return {
    cniVersion: "1.0.0",
    name: "kubatch",
    plugins: [
      {
        type: "bridge",
        bridge: net.bridge,
        isGateway: true,
        // No default route: pods reach the node, the host's end of the link and each other.
        isDefaultGateway: false,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: "host-local",
          // The node's own folder (the default /var/lib/cni is shared and outlives a SIGKILL).
          dataDir: ipamDataDir,
          ranges: [[{ subnet: net.podCidr, gateway: net.bridgeIp }]],
          routes: [
            { dst: `198.18.${net.slot}.0/30`, gw: net.bridgeIp },
            { dst: net.serviceCidr, gw: net.bridgeIp },
          ],
        },
      },
      { type: "portmap", capabilities: { portMappings: true } },
    ],
  };
}
