// Node pods' health on the real node: a node pod is Ready (and its node Idle) once its agent's
// watches have synced; the pool's NetworkPolicy exists, owned by the Pool, and comes back when
// deleted; an agent that stops answering (SIGSTOP from this machine, as a hung process would)
// shows Unusable, is restarted by the kubelet's liveness probe within the probe's budget, and
// the node comes back Idle and runs the next task. The local cluster's pod network (the CNI
// bridge plugins) does not enforce NetworkPolicy: the policy's shape is checked, not its
// effect on traffic.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, NetworkingV1Api, type KubeConfig, type V1Container, type V1Pod } from "@kubernetes/client-node";
import { agentHealthPort, agentHealthPortName } from "../../api/node-contract.ts";
import { poolLabel } from "../../api/labels.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { agentPids } from "./support/agent-process.ts";
import { kubeConfig, localCluster, noCluster } from "./support/cluster.ts";
import { Kubatch } from "./support/kubatch.ts";
import { testNamespace } from "./support/namespace.ts";

const poolName = "health";
/** client-node's typed models as plain data (they are class instances, which deepStrictEqual tells apart). */
const plain = (x: unknown): unknown => (x === undefined ? undefined : JSON.parse(JSON.stringify(x)));

describe("node health", { skip: noCluster ?? (localCluster() ? undefined : "needs the embedded cluster's real node (its agent processes, seen from this machine)") }, () => {
  let kc: KubeConfig;
  let ns: { name: string; remove: () => Promise<void> };
  let k: Kubatch;
  let core: CoreV1Api;
  let networking: NetworkingV1Api;

  before(async () => {
    kc = kubeConfig();
    ns = await testNamespace(kc, "health");
    k = new Kubatch(kc, ns.name);
    core = kc.makeApiClient(CoreV1Api);
    networking = kc.makeApiClient(NetworkingV1Api);
    // Idle needs the pod Ready, which needs the agent's /readyz.
    await k.warmPool(poolName, 1, {}, 180_000);
  });
  after(async () => ns?.remove());

  /** The pool's one node pod (not one on its way out). */
  const nodePod = async (): Promise<V1Pod> => {
    const pods = (await core.listNamespacedPod({ namespace: ns.name, labelSelector: `${poolLabel}=${poolName}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
    assert.equal(pods.length, 1, `one node pod: ${pods.map((p) => p.metadata?.name).join(", ")}`);
    return pods[0]!;
  };
  const container = (pod: V1Pod, name: string): V1Container => pod.spec!.containers.find((c) => c.name === name)!;
  const agentStatus = (pod: V1Pod) => pod.status?.containerStatuses?.find((c) => c.name === "agent");
  const nodeState = async (name: string) => (await k.pool(poolName)).status?.nodes?.find((n) => n.name === name)?.state;

  test("an idle node's pod is Ready, its agent probed on the health port, its tasks container not", async () => {
    const pod = await nodePod();
    assert.equal(pod.status?.conditions?.find((c) => c.type === "Ready")?.status, "True");
    assert.equal(agentStatus(pod)?.ready, true, "the agent passed its readiness probe");
    const agent = container(pod, "agent");
    assert.equal(agent.ports?.find((p) => p.name === agentHealthPortName)?.containerPort, agentHealthPort);
    assert.equal(agent.readinessProbe?.httpGet?.path, "/readyz");
    assert.equal(agent.livenessProbe?.httpGet?.path, "/healthz");
    const tasks = container(pod, "tasks");
    assert.equal(tasks.livenessProbe, undefined);
    assert.equal(tasks.readinessProbe, undefined);
    assert.equal(await nodeState(pod.metadata!.name!), "Idle");
  });

  test("the pool's NetworkPolicy: its node pods, ingress from the pool's nodes and to the health port, owned by the Pool; deleted, it comes back", async () => {
    const pool = await k.pool(poolName);
    const name = `${poolName}-nodes`;
    const np = await eventually("the pool's NetworkPolicy", 30_000, () => networking.readNamespacedNetworkPolicy({ name, namespace: ns.name }));
    assert.deepEqual(
      np.metadata?.ownerReferences?.map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.name, uid: o.uid, controller: o.controller })),
      [{ apiVersion: "kubatch.dev/v1alpha1", kind: "Pool", name: poolName, uid: pool.metadata.uid, controller: true }],
    );
    const nodes = { matchLabels: { [poolLabel]: poolName } };
    assert.deepEqual(plain(np.spec?.podSelector), nodes);
    assert.deepEqual(np.spec?.policyTypes, ["Ingress"], "egress is not restricted");
    // client-node's model names `from` _from.
    assert.deepEqual(plain(np.spec?.ingress?.[0]?._from), [{ podSelector: nodes }], "from the pool's own node pods");
    assert.deepEqual(plain(np.spec?.ingress?.[1]?.ports), [{ port: agentHealthPortName, protocol: "TCP" }], "to the health port from anywhere (the kubelet)");
    assert.equal(np.spec?.ingress?.length, 2);
    // The node pod is selected (the pool label), and it is Ready: the probes pass. Whether
    // other pods are kept out is the network plugin's to enforce, which the local one is not.
    assert.equal((await nodePod()).metadata?.labels?.[poolLabel], poolName);

    await networking.deleteNamespacedNetworkPolicy({ name, namespace: ns.name });
    const back = await eventually("the NetworkPolicy applied again", 30_000, async () => {
      const again = await networking.readNamespacedNetworkPolicy({ name, namespace: ns.name }).catch(() => undefined);
      return again && again.metadata?.uid !== np.metadata?.uid ? again : undefined;
    });
    assert.deepEqual(plain(back.spec), plain(np.spec));
  });

  test("an agent stopped (SIGSTOP): Unusable, restarted by its liveness probe within the budget, then Idle and running tasks", { timeout: 360_000 }, async () => {
    const pod = await nodePod();
    const name = pod.metadata!.name!;
    const live = container(pod, "agent").livenessProbe!;
    // Failures until the kubelet acts, the last one's timeout, then the grace before SIGKILL (a stopped process cannot act on SIGTERM).
    const budgetS = live.periodSeconds! * live.failureThreshold! + live.timeoutSeconds! + (live.terminationGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
    // Kubelet status sync, container restart, the next status write.
    const slackS = 45;
    const restarts = async () => agentStatus(await core.readNamespacedPod({ name, namespace: ns.name }))?.restartCount ?? 0;
    const before = await restarts();
    const pids = agentPids(name);
    assert.equal(pids.length, 1, `one agent process for ${name}`);
    const pid = pids[0]!;
    const stoppedAt = Date.now();
    process.kill(pid, "SIGSTOP");
    let restartedAfterS: number;
    try {
      await eventually("the node Unusable while its agent does not answer its readiness probe", 60_000, async () => ((await nodeState(name)) === "Unusable" ? true : undefined), async () => `state ${await nodeState(name)}`);
      console.log(`# node ${name} Unusable ${(Date.now() - stoppedAt) / 1000} s after its agent stopped`);
      await eventually("the kubelet restarted the agent container", (budgetS + slackS) * 1000, async () => ((await restarts()) > before ? true : undefined));
      restartedAfterS = (Date.now() - stoppedAt) / 1000;
    } finally {
      // Gone with its container when the kubelet killed it; resumed if it was not (the test failed).
      try {
        process.kill(pid, "SIGCONT");
      } catch {
        // no such process
      }
    }
    console.log(`# agent restarted ${restartedAfterS} s after SIGSTOP (liveness budget ${budgetS} s)`);
    assert.ok(restartedAfterS <= budgetS + slackS, `restarted after ${restartedAfterS} s; budget ${budgetS} s + ${slackS} s`);
    const events = (await core.listNamespacedEvent({ namespace: ns.name, fieldSelector: `involvedObject.name=${name}` })).items;
    assert.ok(events.some((e) => /liveness probe/i.test(e.message ?? "")), `the kubelet says why: ${events.map((e) => `${e.reason}: ${e.message}`).join("; ")}`);

    await eventually("the node Idle again", 120_000, async () => ((await k.pool(poolName)).status?.nodeCounts?.idle === 1 ? true : undefined), async () => JSON.stringify((await k.pool(poolName)).status?.nodeCounts));
    const after = await nodePod();
    assert.equal(after.metadata?.name, name, "the same node pod: only its agent container restarted");
    assert.equal(agentStatus(after)?.restartCount, before + 1);
    assert.equal(agentPids(name).length, 1, "one agent again");

    await k.create("Job", "after-restart", { poolInfo: { poolId: poolName } });
    await k.create("Task", "t-1", { jobName: "after-restart", commandLine: "/bin/sh -c 'echo back'" });
    const t = await eventually("t-1 completed", 90_000, async () => {
      const x = await k.task("t-1");
      return x.status?.state === "Completed" ? x : undefined;
    }, async () => JSON.stringify((await k.task("t-1")).status));
    assert.equal(t.status?.executionInfo?.result, "Success");
    assert.equal(t.status?.nodeInfo?.nodeId, name);
    assert.match(t.status?.stdoutTail ?? "", /back/);
  });
});
