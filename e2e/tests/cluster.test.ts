// The local control plane itself: readiness, the built version, isolation of two clusters.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { down, readInfo, up } from "../../local-cluster/control-plane.ts";
import { kubeVersion } from "../../local-cluster/kube-build.ts";
import { clusterProcesses } from "../../local-cluster/processes.ts";
import { clusterPaths } from "../../local-cluster/state.ts";
import { mountsUnder, nodeCgroups } from "../../local-cluster/node/cleanup.ts";
import { netnsPath, type NodeNetwork } from "../../local-cluster/node/network.ts";
import { localImages } from "../../local-cluster/images/build.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { kubectl, localCluster, noCluster } from "./support/cluster.ts";

const local = localCluster() ? undefined : "not the embedded local cluster";

test("the API server answers /readyz with ok", { skip: noCluster }, async () => {
  const { stdout } = await kubectl("get", "--raw", "/readyz");
  assert.equal(stdout.trim(), "ok");
});

test("kubectl version reports the built release", { skip: noCluster ?? local }, async () => {
  const { stdout } = await kubectl("version", "-o", "json");
  const version = JSON.parse(stdout) as { serverVersion: { gitVersion: string }; clientVersion: { gitVersion: string } };
  assert.equal(version.serverVersion.gitVersion, kubeVersion());
  assert.equal(version.clientVersion.gitVersion, kubeVersion());
});

test("a second cluster on the same machine gets its own ports, data and node network, and down removes all of it", { skip: noCluster ?? local }, async () => {
  const first = localCluster()!;
  const dir = mkdtempSync(join(tmpdir(), "kubatch-second-"));
  const paths = clusterPaths(dir);
  let net: NodeNetwork | undefined;
  try {
    const second = await up({ paths, azurite: false, log: () => {} });
    const firstPorts = new Set(Object.values(first.ports));
    for (const [name, port] of Object.entries(second.ports)) assert.ok(!firstPorts.has(port), `${name} port ${port} is shared`);
    assert.notEqual(second.kubeconfig, first.kubeconfig);
    const { stdout } = await kubectl("--kubeconfig", second.kubeconfig, "get", "--raw", "/readyz");
    assert.equal(stdout.trim(), "ok");
    assert.ok(clusterProcesses(paths.stateDir).length >= 5, "etcd, apiserver, controller-manager, scheduler and node run");
    assert.notEqual(second.network.netns, first.network.netns, "each node has its own network namespace");
    net = second.network;
    // A running pod, so that down has containers, their mounts, cgroups and a pod address to remove.
    const k2 = (...args: string[]) => kubectl("--kubeconfig", second.kubeconfig, ...args);
    await k2("run", "left-running", `--image=${localImages.busybox}`, "--image-pull-policy=Never", "--restart=Never", "--", "sleep", "3600");
    await eventually("the second cluster's pod Running", 60_000, async () => ((await k2("get", "pod", "left-running", "-o", "jsonpath={.status.phase}")).stdout === "Running" ? true : undefined));
    assert.ok(nodeCgroups(`/kubatch-${net.slot}`).length > 0, "its pod lives in the node's cgroups");
  } finally {
    await down({ paths, log: () => {} });
    assert.deepEqual(clusterProcesses(paths.stateDir), [], "nothing of the second cluster is left running");
    // Nothing of its node stays on the host: mounts, network namespace and link, cgroups.
    assert.deepEqual(mountsUnder(paths.stateDir), [], "no mounts left under its state folder");
    if (net) {
      assert.ok(!existsSync(netnsPath(net.netns)), `network namespace ${net.netns} removed`);
      assert.ok(!existsSync(`/sys/class/net/${net.hostLink}`), `link ${net.hostLink} removed`);
      assert.deepEqual(nodeCgroups(`/kubatch-${net.slot}`), [], "its cgroups removed, and the pod's processes with them");
    }
    assert.equal(readInfo(paths), undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  // The first cluster is untouched.
  const { stdout } = await kubectl("get", "--raw", "/readyz");
  assert.equal(stdout.trim(), "ok");
});
