// The local cluster's node is a real kubelet with containerd and runc: what a host-process
// stand-in could not give — namespaces, the image's own root filesystem, an enforced security
// context — and the kubelet's streaming endpoints (logs, exec, port-forward).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, type KubeConfig, type V1Pod, type V1SecurityContext } from "@kubernetes/client-node";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { localImages } from "../../local-cluster/images/build.ts";
import { repoRoot } from "../../local-cluster/state.ts";
import { eventually, get } from "../../local-cluster/probe.ts";
import { freePort } from "../../local-cluster/ports.ts";
import { kubeConfig, kubectl, kubectlPath, localCluster, noCluster } from "./support/cluster.ts";
import { testNamespace } from "./support/namespace.ts";
import { Kubatch } from "./support/kubatch.ts";

const skip = noCluster ?? (localCluster() ? undefined : "not the embedded local cluster");

describe("the real node", { skip }, () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let ns: { name: string; remove: () => Promise<void> };
  before(async () => {
    kc = kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    ns = await testNamespace(kc, "real-node");
  });
  after(async () => ns?.remove());

  async function runPod(name: string, script: string, securityContext?: V1SecurityContext): Promise<V1Pod> {
    await core.createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: { name },
        spec: { restartPolicy: "Never", containers: [{ name: "main", image: localImages.busybox, imagePullPolicy: "Never", command: ["sh", "-c", script], securityContext }] },
      },
    });
    return eventually(`pod ${name} to finish`, 60_000, async () => {
      const pod = await core.readNamespacedPod({ name, namespace: ns.name });
      return pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed" ? pod : undefined;
    });
  }

  const log = (name: string) => core.readNamespacedPodLog({ name, namespace: ns.name });

  test("kubectl shows containerd as the node's runtime", async () => {
    const { stdout } = await kubectl("get", "nodes", "-o", "wide");
    assert.match(stdout, /containerd:\/\/\d/);
  });

  test("a container has its own PID namespace, hostname and the image's root filesystem", async () => {
    // `$$$$` is `$$` after Kubernetes' own $(VAR) expansion of the command.
    const hostFile = join(repoRoot, "package.json");
    assert.ok(existsSync(hostFile));
    const pod = await runPod("isolated", `echo "pid=$$$$"; echo "host=$(hostname)"; ls /; test -e ${hostFile} && echo host-fs-visible; test -e /usr/lib/os-release && echo os-release; echo "maxpid=$(ls /proc | grep "^[0-9]" | sort -n | tail -1)"`);
    assert.equal(pod.status?.phase, "Succeeded");
    const out = await log("isolated");
    assert.match(out, /^pid=1$/m, "the shell is PID 1 of its own namespace");
    assert.match(out, /^host=isolated$/m, "the hostname is the pod's name");
    assert.match(out, /^bin$/m);
    assert.doesNotMatch(out, /host-fs-visible|os-release/, "nothing of the host's root or a Debian image");
    const maxPid = Number(/^maxpid=(\d+)$/m.exec(out)?.[1]);
    assert.ok(maxPid > 0 && maxPid < 20, `only its own few processes (highest pid ${maxPid})`);
    assert.match(pod.status?.containerStatuses?.[0]?.containerID ?? "", /^containerd:\/\//);
  });

  test("the security context is enforced: a read-only root filesystem and a non-root user", async () => {
    const pod = await runPod("restricted", "id -u; touch /made-here && echo wrote-root; exit 0", { runAsUser: 65532, runAsGroup: 65532, runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    assert.equal(pod.status?.phase, "Succeeded");
    const out = await log("restricted");
    assert.match(out, /^65532$/m);
    assert.doesNotMatch(out, /wrote-root/);
    // A non-root image user whose runAsNonRoot cannot be verified is refused by the kubelet.
    await core.createNamespacedPod({
      namespace: ns.name,
      body: { metadata: { name: "root-refused" }, spec: { restartPolicy: "Never", containers: [{ name: "main", image: localImages.busybox, imagePullPolicy: "Never", command: ["true"], securityContext: { runAsNonRoot: true } }] } },
    });
    const waiting = await eventually("root-refused to be refused", 60_000, async () => {
      const p = await core.readNamespacedPod({ name: "root-refused", namespace: ns.name });
      return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === "CreateContainerConfigError" ? p.status.containerStatuses[0].state.waiting : undefined;
    });
    assert.match(waiting.message ?? "", /runAsNonRoot and image will run as root/);
  });

  test("kubectl logs, exec and port-forward reach a running container", async () => {
    await core.createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: { name: "web" },
        spec: {
          containers: [{ name: "web", image: localImages.busybox, imagePullPolicy: "Never", command: ["sh", "-c", "mkdir -p /www && echo served-from-the-pod > /www/index.html && echo web-started && exec httpd -f -p 8080 -h /www"] }],
        },
      },
    });
    await eventually("web running", 60_000, async () => ((await core.readNamespacedPod({ name: "web", namespace: ns.name })).status?.phase === "Running" ? true : undefined));
    const logs = await eventually("web's log", 20_000, async () => ((await kubectl("logs", "-n", ns.name, "web")).stdout.includes("web-started") ? true : undefined));
    assert.ok(logs);
    const exec = await kubectl("exec", "-n", ns.name, "web", "--", "cat", "/www/index.html");
    assert.equal(exec.stdout.trim(), "served-from-the-pod");

    const port = await freePort();
    const forward = spawn(kubectlPath(), ["port-forward", "-n", ns.name, "pod/web", `${port}:8080`], { env: process.env, stdio: "ignore" });
    try {
      const body = await eventually("a page through port-forward", 30_000, async () => {
        const res = await get(`http://127.0.0.1:${port}/index.html`, undefined, 2_000);
        return res.status === 200 ? res.body : undefined;
      });
      assert.equal(body.trim(), "served-from-the-pod");
    } finally {
      forward.kill();
    }
  });

  test("pods reach the API server through the kubernetes Service, and nothing outside the machine", async () => {
    const pod = await runPod(
      "reach",
      // busybox's wget does not verify TLS: enough to see the API server answer.
      // (Its -T with TLS crashes: no timeout flag.)
      "wget -q -O- https://kubernetes.default.svc.cluster.local/version 2>/dev/null | grep -q gitVersion && echo by-name; wget -q -O- https://10.0.0.1/version 2>/dev/null | grep -q gitVersion && echo api-ok; ip route; exit 0",
    );
    const out = await log(pod.metadata!.name!);
    assert.match(out, /^api-ok$/m);
    assert.doesNotMatch(out, /by-name/, "no cluster DNS: names do not resolve");
    // The pod's routes (read, not probed: no packet is sent off the machine).
    assert.doesNotMatch(out, /^default/m, "no default route off the node");
    assert.match(out, /^10\.0\.0\.0\/24 via /m, "the Service range through the node");
  });

  // A Debian image with python3 and no Node.js, and busybox: no libc, no libstdc++ at all.
  const foreignImages = {
    "a Debian image with python3": {
      image: localImages.debianPython,
      startTask: `python3 -c "import os; open(os.environ['AZ_BATCH_NODE_SHARED_DIR'] + '/prepared', 'w').write('by the image')"`,
      task: `python3 -c "import os, sys; print('tool', 'python', sys.version_info[0]); print('node', [d for d in os.environ['PATH'].split(':') if os.path.exists(d + '/node')]); print(open(os.environ['AZ_BATCH_NODE_SHARED_DIR'] + '/prepared').read())"`,
      want: [/^tool python 3$/m, /^node \[\]$/m, /^by the image$/m],
    },
    "busybox (static, no shared libraries)": {
      image: localImages.busybox,
      startTask: `/bin/sh -c "echo by the image > $AZ_BATCH_NODE_SHARED_DIR/prepared"`,
      task: `/bin/sh -c "echo tool busybox; ls /lib /usr/lib 2>&1 | grep -c 'libc\\.so' | sed 's/^/libc files: /'; command -v node || echo node none; cat $AZ_BATCH_NODE_SHARED_DIR/prepared"`,
      want: [/^tool busybox$/m, /^libc files: 0$/m, /^node none$/m, /^by the image$/m],
    },
  };
  for (const [name, tc] of Object.entries(foreignImages)) {
    test(`a pool's node image can be any image — the agent is injected: ${name}`, { timeout: 240_000 }, async () => {
      const k = new Kubatch(kc, ns.name);
      const pool = name.startsWith("busybox") ? "bb" : "py";
      // The start task and the task run with the image's own tools; the agent beside them is
      // kubatch's Node, copied in by the install-agent init container with its libraries.
      await k.warmPool(pool, 1, { image: tc.image, startTask: { commandLine: tc.startTask, waitForSuccess: true } }, 180_000);
      await k.create("Job", `${pool}-job`, { poolInfo: { poolId: pool } });
      await k.create("Task", `${pool}-task`, { jobName: `${pool}-job`, commandLine: tc.task });
      const done = await eventually(`${pool}-task completed`, 60_000, async () => {
        const t = await k.task(`${pool}-task`);
        return t.status?.state === "Completed" ? t : undefined;
      }, async () => JSON.stringify((await k.task(`${pool}-task`)).status));
      assert.equal(done.status?.executionInfo?.exitCode, 0, JSON.stringify(done.status));
      for (const re of tc.want) assert.match(done.status?.stdoutTail ?? "", re);
    });
  }
});
