// Leader election under the faults that lose a lease (issue 21, acceptance 3): a leader frozen
// past its lease (SIGSTOP), a leader whose connections are black-holed, a new leader whose
// caches take longer than the lease to sync, and lease records written by replicas with skewed
// clocks. Two operator replicas run as local processes, each through a proxy of its own whose
// record of the writes it forwarded is the audit log of who wrote when: no two leaders' writes
// overlap, the lease changes hands once (or not at all), and the job's tasks each run once.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CoordinationV1Api, CoreV1Api, RbacAuthorizationV1Api, V1MicroTime, type KubeConfig, type V1LeaseSpec } from "@kubernetes/client-node";
import { deployLocal, type LocalOperator } from "../../local-cluster/deploy-local.ts";
import { freePort } from "../../local-cluster/ports.ts";
import { eventually } from "../../local-cluster/probe.ts";
import { isAlive, startDetached } from "../../local-cluster/processes.ts";
import { clusterPaths, repoRoot } from "../../local-cluster/state.ts";
import { isWatch, kubeConfigThrough, startFaultProxy, type Fault, type FaultProxy } from "./support/api-fault-proxy.ts";
import { kubeConfig, localCluster, noCluster } from "./support/cluster.ts";
import { hostFolder, mountHostFolder } from "./support/host-folder.ts";
import { Kubatch } from "./support/kubatch.ts";
import { testNamespace } from "./support/namespace.ts";
import { assertExact, runs, shellTask } from "./support/run-log.ts";

type Name = "a" | "b";
type Write = { at: number; what: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const isLease = (what: string) => what.includes("/apis/coordination.k8s.io/");
/** The operator's default lease: 10 s; a dead leader's lease is taken after 10 s + up to a retry period (2 s). */
const leaseMs = 10_000;

describe("lease loss", { skip: noCluster ?? (localCluster() ? undefined : "needs the embedded cluster (it runs operator replicas as local processes)") }, () => {
  const paths = clusterPaths();
  const operator = () => JSON.parse(readFileSync(join(paths.clusterDir, "operator.json"), "utf8")) as LocalOperator;
  let kc: KubeConfig;
  let ns: { name: string; remove: () => Promise<void> };
  let k: Kubatch;
  let dir: string;
  let token: string;
  const binding = () => `${ns.name}-lease-replica`;

  before(async () => {
    kc = kubeConfig();
    ns = await testNamespace(kc, "lease");
    k = new Kubatch(kc, ns.name);
    dir = hostFolder("kubatch-lease-");
    // This checkout's operator makes the pool's nodes (the replicas use its configuration, so they never roll them).
    await deployLocal({ paths, log: () => {} });
    await k.warmPool("p", 2, { taskSlotsPerNode: 4, ...mountHostFolder(dir) });
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: "replica" } } });
    await kc.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
      body: { metadata: { name: binding() }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" }, subjects: [{ kind: "ServiceAccount", name: "replica", namespace: ns.name }] },
    });
    token = (await core.createNamespacedServiceAccountToken({ name: "replica", namespace: ns.name, body: { spec: { expirationSeconds: 3600 } } })).status?.token ?? assert.fail("no token");
    // From here the replicas are the only operators.
    process.kill(operator().pid, "SIGTERM");
    await eventually("the harness operator to stop", 30_000, async () => (isAlive(operator().pid) ? undefined : true));
  });
  after(async () => {
    await kc.makeApiClient(RbacAuthorizationV1Api).deleteClusterRoleBinding({ name: binding() }).catch(() => undefined);
    await deployLocal({ paths, log: () => {} });
    await ns.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Operator replicas on the lease `lease`, each through its own proxy, which records the writes it forwards. */
  async function replicas(lease: string) {
    const coordination = kc.makeApiClient(CoordinationV1Api);
    const writes: Record<Name, Write[]> = { a: [], b: [] };
    const proxies: Partial<Record<Name, FaultProxy>> = {};
    const faults: Record<Name, (req: { method: string; path: string }) => Fault> = { a: () => "pass", b: () => "pass" };
    const started: Partial<Record<Name, { pid: number; log: string; from: number }>> = {};
    for (const name of ["a", "b"] as const) {
      const proxy = (proxies[name] = await startFaultProxy(localCluster()!));
      proxy.setRule((req) => {
        const fault = faults[name](req);
        if (fault === "pass" && req.method !== "GET") writes[name].push({ at: Date.now(), what: `${req.method} ${req.path}` });
        return fault;
      });
      writeFileSync(join(dir, `kubeconfig-${lease}-${name}`), kubeConfigThrough(kc, proxy, token, "replica").exportConfig());
    }
    const self = {
      writes,
      proxies: proxies as Record<Name, FaultProxy>,
      /** From now on, what replica `name`'s proxy does with each request (writes are recorded only when passed on). */
      fault(name: Name, rule: (req: { method: string; path: string }) => Fault) {
        faults[name] = rule;
      },
      async start(name: Name) {
        const args = [join(repoRoot, "operator", "src", "main.ts"), `--config=${join(paths.clusterDir, "operator-config.yaml")}`, "--leader-elect", `--leader-election-namespace=${ns.name}`, `--leader-election-id=${lease}`, `--health-addr=127.0.0.1:${await freePort()}`, `--metrics-addr=127.0.0.1:${await freePort()}`];
        const logName = `operator-${lease}-${name}`;
        const file = join(paths.logs, `${logName}.log`);
        const from = existsSync(file) ? statSync(file).size : 0;
        const p = startDetached(logName, process.execPath, args, { clusterId: localCluster()!.id, logDir: paths.logs, env: { KUBECONFIG: join(dir, `kubeconfig-${lease}-${name}`), POD_NAME: `replica-${name}` } });
        started[name] = { pid: p.pid, log: p.log, from };
      },
      pid: (name: Name) => started[name]!.pid,
      logOf: (name: Name) => readFileSync(started[name]!.log).subarray(started[name]!.from).toString("utf8"),
      holder: async (): Promise<V1LeaseSpec | undefined> => (await coordination.readNamespacedLease({ name: lease, namespace: ns.name }).catch(() => undefined))?.spec,
      async leads(name: Name, ms = 30_000): Promise<V1LeaseSpec> {
        return eventually(`replica ${name} leads`, ms, async () => {
          const spec = await self.holder();
          return spec?.holderIdentity?.startsWith(`replica-${name}-`) ? spec : undefined;
        });
      },
      async close() {
        for (const r of Object.values(started)) {
          if (!isAlive(r.pid)) continue;
          process.kill(r.pid, "SIGCONT");
          process.kill(r.pid, "SIGKILL");
        }
        for (const p of Object.values(proxies)) await p.close();
      },
    };
    return self;
  }
  type Replicas = Awaited<ReturnType<typeof replicas>>;

  /** A job of `n` one-second tasks on pool p. */
  async function job(name: string, n: number, log: string) {
    await k.create("Job", name, { poolInfo: { poolId: "p" }, onAllTasksComplete: "TerminateJob" });
    await k.createMany("Task", names(name, n).map((t) => ({ name: t, labels: { job: name }, spec: { jobName: name, commandLine: shellTask(log, "sleep 1") } })));
  }
  /** Every task of the job completed with success, each started exactly once (the run log against the API). */
  async function ranOnce(name: string, n: number, log: string) {
    const tasks = await eventually(`${n} tasks of ${name} completed`, 150_000, async () => {
      const all = await k.tasks(`job=${name}`);
      return all.filter((t) => t.status?.state === "Completed").length === n ? all : undefined;
    }, async () => JSON.stringify((await k.job(name)).status?.taskCounts));
    for (const t of tasks) assert.equal(t.status?.executionInfo?.result, "Success", t.metadata.name);
    assertExact(log, tasks);
    assert.equal(runs(log).length, n, "each task started once");
  }
  /** a leads with b standing by, and a job of 40 tasks is under way: the start of the cases where a loses its lease. */
  async function aLeadsAJob(r: Replicas, name: string, log: string): Promise<V1LeaseSpec> {
    await r.start("a");
    const first = await r.leads("a");
    await r.start("b");
    await eventually("replica b stands by", 30_000, async () => (/leader election|operator starting/.test(r.logOf("b")) && r.proxies.b.counts.requests > 0 ? true : undefined));
    await job(name, 40, log);
    await eventually("some tasks ended under replica a", 60_000, async () => (runs(log).filter((x) => x.end).length >= 8 ? true : undefined));
    return first;
  }
  /** The audit: every write of a (but lease calls) came before b's first lease write, and b wrote only after it. */
  function noOverlap(r: Replicas, since?: number) {
    const ofA = r.writes.a.filter((w) => !isLease(w.what));
    const ofB = r.writes.b.filter((w) => !isLease(w.what));
    const takeover = r.writes.b.find((w) => isLease(w.what))?.at;
    assert.ok(takeover !== undefined, "replica b wrote the lease");
    assert.ok(ofB.length > 0 && ofB[0]!.at >= takeover, "replica b wrote only after it took the lease");
    assert.ok(Math.max(...ofA.map((w) => w.at)) < takeover, "every write of replica a came before replica b led: no overlap");
    if (since !== undefined) assert.deepEqual(r.writes.a.filter((w) => w.at >= since).map((w) => w.what), [], "replica a sent no write after the fault, not even to the lease");
    return { ofA: ofA.length, ofB: ofB.length };
  }

  test("a leader frozen (SIGSTOP) past its lease: the other replica takes over, the woken one writes nothing and exits; one transition", { timeout: 240_000 }, async () => {
    const r = await replicas("frozen");
    const log = join(dir, "frozen.log");
    try {
      const first = await aLeadsAJob(r, "frozen", log);

      process.kill(r.pid("a"), "SIGSTOP");
      const stoppedAt = Date.now();
      let contAt = 0;
      try {
        await r.leads("b");
        console.log(`# frozen leader: replica b took the lease ${Date.now() - stoppedAt} ms after replica a was stopped`);
        // Twice the lease: the tasks go on under b, and a's watches fill with events it will wake up to.
        await sleep(Math.max(0, stoppedAt + 2 * leaseMs - Date.now()));
      } finally {
        process.kill(r.pid("a"), "SIGCONT");
        contAt = Date.now();
      }
      await eventually("the woken replica a steps down and exits", 30_000, async () => (isAlive(r.pid("a")) ? undefined : true));
      const exitMs = Date.now() - contAt;
      await ranOnce("frozen", 40, log);
      const counts = noOverlap(r, contAt);
      const last = await r.holder();
      assert.match(last?.holderIdentity ?? "", /^replica-b-/);
      assert.equal((last?.leaseTransitions ?? 0) - (first.leaseTransitions ?? 0), 1, "one transition");
      const woke = r.logOf("a");
      // Woken, a learns it lost either from the lease (held by b) or from its own clock (the renew deadline passed
      // while it was frozen): which comes first is a race, and both step down before any write (noOverlap above).
      assert.match(woke, /(the lease is held by replica-b-[^;]*|could not renew the lease within \d+ ms); stepping down/);
      const fenced = woke.split("\n").filter((l) => /not sent: this replica does not hold the leader lease/.test(l)).length;
      console.log(`# frozen leader: SIGSTOP for ${contAt - stoppedAt} ms; woken, it exited in ${exitMs} ms; writes: a ${counts.ofA} (none after waking, ${fenced} log lines of refused calls), b ${counts.ofB} after taking over; lease transitions ${first.leaseTransitions ?? 0} → ${last?.leaseTransitions}`);
    } finally {
      await r.close();
    }
  });

  test("a leader whose connections are black-holed: it stops writing within its renew deadline and exits, the other takes over after the lease; one transition", { timeout: 240_000 }, async () => {
    const r = await replicas("blackhole");
    const log = join(dir, "blackhole.log");
    try {
      const first = await aLeadsAJob(r, "blackhole", log);

      // Every request of a, and every connection it has open, now goes nowhere: no answer, no reset.
      r.fault("a", () => "hold");
      const holeAt = Date.now();
      r.proxies.a.dropConnections();
      await r.leads("b");
      const takeoverMs = Date.now() - holeAt;
      await eventually("replica a gives up its lease and exits", 60_000, async () => (isAlive(r.pid("a")) ? undefined : true));
      const exitMs = Date.now() - holeAt;
      // The partition heals: anything a still had queued would reach the API server now.
      r.fault("a", () => "pass");
      r.proxies.a.dropConnections();
      await ranOnce("blackhole", 40, log);
      const counts = noOverlap(r, holeAt);
      const last = await r.holder();
      assert.equal((last?.leaseTransitions ?? 0) - (first.leaseTransitions ?? 0), 1, "one transition");
      assert.match(r.logOf("a"), /could not renew the lease within \d+ ms; stepping down/);
      // a renewed at most a retry period before the partition, and b looks every retry period.
      assert.ok(takeoverMs >= leaseMs - 4_000, `b waited for the lease to lapse (${takeoverMs} ms)`);
      console.log(`# black-holed leader: b took the lease ${takeoverMs} ms after the partition, a exited ${exitMs} ms after it; writes: a ${counts.ofA} (none after the partition), b ${counts.ofB}; ${r.proxies.a.counts.faults.hold ?? 0} requests of a held`);
    } finally {
      await r.close();
    }
  });

  test("a new leader whose caches take 15 s (longer than the lease) to sync keeps renewing: the other never takes over, no transition, the tasks run once", { timeout: 240_000 }, async () => {
    const r = await replicas("slowsync");
    const log = join(dir, "slowsync.log");
    try {
      await job("slowsync", 16, log);
      // a's lists of kubatch objects and pods answer after 15 s; the lease's own calls are not slowed.
      const slowUntil = Date.now() + 40_000;
      const slowed = (path: string) => !isWatch(path) && !isLease(path) && (path.includes("/apis/kubatch.dev/") || /\/api\/v1\/(namespaces\/[^/]+\/)?pods/.test(path));
      r.fault("a", ({ method, path }) => (method === "GET" && slowed(path) && Date.now() < slowUntil ? { delayMs: 15_000 } : "pass"));
      await r.start("a");
      const first = await r.leads("a");
      await r.start("b");
      const startedAt = Date.now();
      await eventually("replica a's caches synced", 90_000, async () => (/operator running as leader/.test(r.logOf("a")) ? true : undefined));
      const syncMs = Date.now() - startedAt;
      await ranOnce("slowsync", 16, log);
      const last = await r.holder();
      assert.match(last?.holderIdentity ?? "", /^replica-a-/, "a still leads");
      assert.equal(last?.leaseTransitions, first.leaseTransitions, "no transition");
      assert.equal(r.writes.b.length, 0, "b never wrote, not even to the lease");
      const renewals = r.writes.a.filter((w) => isLease(w.what) && w.at < startedAt + syncMs).length;
      assert.ok(syncMs > leaseMs, `the sync took longer than the lease (${syncMs} ms)`);
      assert.ok(renewals >= Math.floor(syncMs / 2_000) - 2, `a renewed during its sync (${renewals} lease writes)`);
      console.log(`# slow cache sync: a synced ${syncMs} ms after b started (${r.proxies.a.counts.faults.delay ?? 0} lists delayed 15 s), renewing ${renewals} times meanwhile; b wrote nothing; transitions ${first.leaseTransitions} → ${last?.leaseTransitions}`);
    } finally {
      await r.close();
    }
  });

  test("lease records from skewed clocks: a renewTime an hour ahead on a dead holder's lease is taken after the lease, not an hour; a live holder an hour behind is never taken while it renews", { timeout: 240_000 }, async () => {
    const coordination = kc.makeApiClient(CoordinationV1Api);
    // A Lease's times are MicroTimes (six fractional digits), which a plain Date does not serialise to.
    const at = (offsetMs: number) => new V1MicroTime(Date.now() + offsetMs);
    const write = async (lease: string, holder: string, offsetMs: number, transitions: number) => {
      const spec = { holderIdentity: holder, leaseDurationSeconds: leaseMs / 1000, acquireTime: at(offsetMs), renewTime: at(offsetMs), leaseTransitions: transitions };
      const current = await coordination.readNamespacedLease({ name: lease, namespace: ns.name }).catch(() => undefined);
      if (!current) await coordination.createNamespacedLease({ namespace: ns.name, body: { metadata: { name: lease }, spec } });
      else await coordination.replaceNamespacedLease({ name: lease, namespace: ns.name, body: { ...current, spec } });
    };

    // A holder whose clock ran an hour ahead, gone: its renewTime lies in our future.
    const ahead = await replicas("skew-ahead");
    try {
      await write("skew-ahead", "gone-ahead", 3_600_000, 5);
      const startedAt = Date.now();
      await ahead.start("a");
      const taken = await ahead.leads("a", 60_000);
      const takeMs = Date.now() - startedAt;
      assert.equal(taken.leaseTransitions, 6);
      assert.ok(takeMs < 3 * leaseMs, `taken ${takeMs} ms after a started`);
      console.log(`# clock skew: a dead holder's lease with renewTime an hour ahead taken ${takeMs} ms after a started`);
    } finally {
      await ahead.close();
    }

    // A live holder whose clock runs an hour behind: it renews every 2 s, its renewTime always an hour past.
    const behind = await replicas("skew-behind");
    let renewing = true;
    let renewals = 0;
    const renew = (async () => {
      while (renewing) {
        await write("skew-behind", "live-behind", -3_600_000, 2).catch(() => undefined);
        renewals++;
        await sleep(2_000);
      }
    })();
    try {
      await sleep(500);
      await behind.start("a");
      await sleep(2.5 * leaseMs);
      assert.equal((await behind.holder())?.holderIdentity, "live-behind", "not taken while its holder renews");
      assert.equal(behind.writes.a.length, 0, "a wrote nothing, not even to the lease");
      renewing = false;
      await renew;
      const stoppedAt = Date.now();
      const taken = await behind.leads("a", 60_000);
      const takeMs = Date.now() - stoppedAt;
      assert.equal(taken.leaseTransitions, 3);
      assert.ok(takeMs >= leaseMs - 4_000 && takeMs < 3 * leaseMs, `taken ${takeMs} ms after the holder stopped renewing`);
      console.log(`# clock skew: a live holder an hour behind kept its lease through ${renewals} renewals (${2.5 * leaseMs} ms); taken ${takeMs} ms after it stopped`);
    } finally {
      renewing = false;
      await renew;
      await behind.close();
    }
  });
});
