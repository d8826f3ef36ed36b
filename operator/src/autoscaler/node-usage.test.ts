// Node usage readings into autoscale samples (a table), where a node pod's /usage is, and the
// autoscaler asking real HTTP servers (on loopback, as agents' health ports) for them.
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import type { V1Pod } from "@kubernetes/client-node";
import type { NodeUsage } from "../../../api/node-usage.ts";
import { startHealthServer } from "../../../kube/health-server.ts";
import type { PoolObject } from "../../../kube/objects.ts";
import { cache, fakeApi, FakeClock } from "../controller/reconcile-harness.ts";
import { DispatchState } from "../dispatch/dispatch-state.ts";
import { makeMetrics } from "../metrics/metrics.ts";
import { Autoscaler } from "./autoscaler.ts";
import { fetchNodeUsage, NodeUsageSampler, usageMaxBytes, usageSample, usageUrl, type Reading } from "./node-usage.ts";

const usage = (u: Partial<NodeUsage> = {}): NodeUsage => ({
  epoch: "a/r", cpuSeconds: 0, cpuCores: 1, memoryBytes: 0, diskBytes: 0, diskReadBytes: 0, diskWriteBytes: 0, diskReadOps: 0, diskWriteOps: 0, networkInBytes: 0, networkOutBytes: 0, ...u,
});
const at = (s: number, u: Partial<NodeUsage>): Reading => ({ at: s * 1000, usage: usage(u) });

test("readings into one sample per variable, averaged over the nodes", () => {
  const cases: Record<string, { previous: [string, Reading][]; current: [string, Reading][]; want: Record<string, number> }> = {
    "no node answered: no sample": { previous: [], current: [], want: {} },
    "a first reading: levels only": { previous: [], current: [["a", at(30, { memoryBytes: 100, diskBytes: 7 })]], want: { $MemoryBytes: 100, $DiskBytes: 7 } },
    "one core busy half the period": {
      previous: [["a", at(0, { cpuSeconds: 10, networkInBytes: 1000 })]],
      current: [["a", at(30, { cpuSeconds: 25, networkInBytes: 4000, diskWriteOps: 9 })]],
      want: { $MemoryBytes: 0, $DiskBytes: 0, $CPUPercent: 50, $NetworkInBytes: 3000, $NetworkOutBytes: 0, $DiskReadBytes: 0, $DiskWriteBytes: 0, $DiskReadOps: 0, $DiskWriteOps: 9 },
    },
    "two nodes: the mean; a 4-core node's CPU over its cores": {
      previous: [["a", at(0, { cpuSeconds: 0 })], ["b", at(0, { cpuSeconds: 0, cpuCores: 4 })]],
      current: [["a", at(10, { cpuSeconds: 10, memoryBytes: 100 })], ["b", at(10, { cpuSeconds: 20, cpuCores: 4, memoryBytes: 300 })]],
      want: { $MemoryBytes: 200, $DiskBytes: 0, $CPUPercent: 75, $NetworkInBytes: 0, $NetworkOutBytes: 0, $DiskReadBytes: 0, $DiskWriteBytes: 0, $DiskReadOps: 0, $DiskWriteOps: 0 },
    },
    "a container restarted (another epoch): levels only, no rate from the two": {
      previous: [["a", at(0, { cpuSeconds: 500, networkOutBytes: 9000 })]],
      current: [["a", at(10, { cpuSeconds: 502, networkOutBytes: 100, epoch: "a/r2" })]],
      want: { $MemoryBytes: 0, $DiskBytes: 0 },
    },
    "a new node has no rate yet: the rates come from the others": {
      previous: [["a", at(0, { cpuSeconds: 0 })]],
      current: [["a", at(10, { cpuSeconds: 10 })], ["b", at(10, { cpuSeconds: 3, memoryBytes: 50 })]],
      want: { $MemoryBytes: 25, $DiskBytes: 0, $CPUPercent: 100, $NetworkInBytes: 0, $NetworkOutBytes: 0, $DiskReadBytes: 0, $DiskWriteBytes: 0, $DiskReadOps: 0, $DiskWriteOps: 0 },
    },
    "CPU never above 100 %": {
      previous: [["a", at(0, { cpuSeconds: 0 })]],
      current: [["a", at(1, { cpuSeconds: 3 })]],
      want: { $MemoryBytes: 0, $DiskBytes: 0, $CPUPercent: 100, $NetworkInBytes: 0, $NetworkOutBytes: 0, $DiskReadBytes: 0, $DiskWriteBytes: 0, $DiskReadOps: 0, $DiskWriteOps: 0 },
    },
  };
  for (const [name, tc] of Object.entries(cases)) assert.deepEqual(usageSample(new Map(tc.previous), new Map(tc.current)), tc.want, name);
});

const pod = (name: string, ip: string | undefined, port: number | undefined, phase = "Running", extra: Partial<V1Pod["metadata"]> = {}): V1Pod => ({
  metadata: { name, namespace: "ns", uid: `uid-${name}`, labels: { "kubatch.dev/pool": "p" }, ...extra },
  spec: { containers: [{ name: "tasks" }, { name: "agent", ports: port === undefined ? [] : [{ name: "health", containerPort: port }] }] },
  status: { phase, podIP: ip },
});

test("a node pod's /usage: its IP and the agent's health port", () => {
  const cases: [string, V1Pod, string | undefined][] = [
    ["the health port", pod("a", "10.0.0.5", 9090), "http://10.0.0.5:9090/usage"],
    ["no port named: 8081", pod("a", "10.0.0.5", undefined), "http://10.0.0.5:8081/usage"],
    ["IPv6", pod("a", "fd00::5", 8081), "http://[fd00::5]:8081/usage"],
    ["no IP yet", pod("a", undefined, 8081), undefined],
    ["pending", pod("a", "10.0.0.5", 8081, "Pending"), undefined],
    ["ended", pod("a", "10.0.0.5", 8081, "Failed"), undefined],
    ["being deleted", pod("a", "10.0.0.5", 8081, "Running", { deletionTimestamp: new Date() }), undefined],
  ];
  for (const [name, p, want] of cases) assert.equal(usageUrl(p), want, name);
});

test("the autoscaler samples its nodes' /usage each sample period: the CPU formula works", async (t) => {
  const clock = new FakeClock("2026-12-07T12:00:00.000Z");
  const nodes = [usage({ cpuSeconds: 100, memoryBytes: 2e9 }), usage({ cpuSeconds: 50, cpuCores: 2, memoryBytes: 1e9 })];
  const servers = await Promise.all(nodes.map((_, i) => startHealthServer("127.0.0.1", 0, { live: () => undefined, ready: () => undefined }, { "/usage": async () => nodes[i] })));
  t.after(() => servers.forEach((s) => s.close()));
  const pods = servers.map((s, i) => pod(`n${i}`, "127.0.0.1", (s.address() as AddressInfo).port));
  // A pod without an answer (nothing listens on port 1) is left out.
  pods.push(pod("silent", "127.0.0.1", 1));
  const formula = "$cpu = $CPUPercent.GetSample(1); $mem = $MemoryBytes.GetSample(1); $TargetDedicatedNodes = $cpu > 60 ? 4 : 1;";
  const pools = [{ apiVersion: "kubatch.dev/v1alpha1", kind: "Pool", metadata: { name: "p", namespace: "ns" }, spec: { vmSize: "small", enableAutoScale: true, autoScaleFormula: formula, autoScaleEvaluationInterval: "PT30S" }, status: { targetDedicatedNodes: 1 } } as PoolObject];
  const api = fakeApi({});
  const state = new DispatchState();
  state.upsertPool({ key: "ns/p", slotsPerNode: 1, fill: "Spread" });
  const metrics = makeMetrics();
  const autoscaler = new Autoscaler({
    pools: cache(pools), nodePods: cache(pods), nodeUsage: new NodeUsageSampler({ now: clock.now }), state, writer: api.writer, events: api.recorder, metrics,
    takeCompletions: () => ({ succeeded: 0, failed: 0 }), samplePeriodMs: 30_000, log: () => undefined, now: clock.now,
  });
  const results = () => (api.writes.at(-1)!.body as { status: { autoScaleRun: { results?: string; error?: { code: string } | null } } }).status.autoScaleRun;

  await autoscaler.tick();
  assert.equal(results().error?.code, "InsufficientSampleData", "one reading: no CPU sample yet");
  assert.doesNotMatch(await metrics.registry.metrics(), /variable="CPUPercent"/, "no CPU sample: no CPU gauge");
  // 30 s later: node 0 used 27 of 30 CPU-seconds (90 %), node 1 30 of 60 (50 %).
  nodes[0] = usage({ cpuSeconds: 127, memoryBytes: 2e9 });
  nodes[1] = usage({ cpuSeconds: 80, cpuCores: 2, memoryBytes: 1e9 });
  await clock.advance(30_000);
  await autoscaler.tick();
  assert.equal(results().error, null);
  assert.match(results().results ?? "", /\$TargetDedicatedNodes=4;.*\$cpu=\[70\];\$mem=\[1500000000\]/);
  // The same samples on the operator's /metrics.
  const exposed = await metrics.registry.metrics();
  assert.match(exposed, /kubatch_pool_node_sample\{namespace="ns",pool="p",variable="CPUPercent"\} 70\n/);
  assert.match(exposed, /kubatch_pool_node_sample\{namespace="ns",pool="p",variable="MemoryBytes"\} 1500000000\n/);
});

test("a /usage answer is read only up to usageMaxBytes, and only as the schema has it", async (t) => {
  let body: unknown = usage({ cpuSeconds: 3 });
  const server = await startHealthServer("127.0.0.1", 0, { live: () => undefined, ready: () => undefined }, { "/usage": async () => body });
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/usage`;
  assert.equal((await fetchNodeUsage(url))?.cpuSeconds, 3);
  body = { ...usage(), pad: "x".repeat(usageMaxBytes) };
  assert.equal(await fetchNodeUsage(url), undefined, "too long");
  body = { cpuSeconds: "lots" };
  assert.equal(await fetchNodeUsage(url), undefined, "not a usage");
  assert.equal(await fetchNodeUsage("http://127.0.0.1:1/usage", 500), undefined, "nothing listening");
});
