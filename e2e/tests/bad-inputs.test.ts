// Bad inputs on the real local cluster (issue 21, acceptance item 8): each is refused at
// create with a message naming the field, or handled — the operator's memory stays bounded
// under the largest dependency lists the schema allows, long durations do not kill a task
// early, an autoscale target of 10^9 is capped and reported, output patterns cannot carry a
// file (the node's token) out of the task's directory, shell metacharacters in blob names
// stay one word, and a task that always fails with unlimited retries is stopped by its job.
// The ground truth for what ran is the host folder's run log (support/run-log.ts).
import assert from "node:assert/strict";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { ApiException, AppsV1Api, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { UNLIMITED_DURATION } from "../../api/duration.ts";
import { fileUploadError, taskEnded } from "../../api/failure-codes.ts";
import { addedTaskJobLabel, nodeLabel } from "../../api/labels.ts";
import { MAX_POOL_NODES } from "../../api/pool.ts";
import { MAX_TASK_ID_RANGE_SPAN } from "../../api/task-dependencies.ts";
import { retryDelayMs } from "../../task-runner/src/agent/retry-delay.ts";
import type { TaskStatus } from "../../api/task.ts";
import { apiMessage } from "../../cli/kube.ts";
import type { LocalOperator } from "../../local-cluster/deploy-local.ts";
import { eventually, get } from "../../local-cluster/probe.ts";
import { isAlive } from "../../local-cluster/processes.ts";
import { clusterPaths } from "../../local-cluster/state.ts";
import { ProcSampler, readProc, type ProcSummary } from "../bench/proc.ts";
import { delta, scrape, writes } from "../bench/apiserver-metrics.ts";
import { kubeConfig, kubectlPath, localCluster, noCluster } from "./support/cluster.ts";
import { hostFolder, mountHostFolder } from "./support/host-folder.ts";
import { Kubatch, type Obj } from "./support/kubatch.ts";
import { testNamespace } from "./support/namespace.ts";
import { run, show } from "./support/run.ts";
import { runs, shellTask } from "./support/run-log.ts";

const azurite = process.env.AZURITE_CONNECTION_STRING;
const skip = noCluster ?? (!localCluster() ? "needs the embedded cluster (its operator is a local process whose memory is read from /proc)" : !azurite ? "AZURITE_CONNECTION_STRING is not set: run through `make test`" : undefined);
const kubatchBin = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "kubatch");

/**
 * The operator's resident memory may not pass this while it holds the largest dependency lists
 * the schema allows (100 tasks × 10,000 taskIds, ~12 MB of JSON, and 10 tasks × 1,000 ranges
 * of 10^6 ids, 10^10 ids in all): two thirds of the chart's 768 Mi limit, so such a job leaves
 * the operator a third of it for everything else. Measured: ~370 MiB from ~160 MiB idle — the
 * taskIds are held as they are (~200 B an id across the caches), the ranges walked over the
 * tasks that exist, never expanded (an expansion would need tens of GiB).
 */
const operatorRssBoundMiB = 512;

const storage = { name: "storage", key: "connectionString" };
const MiB = (kib: number) => Math.round(kib / 1024);

/** The API server's answer to a create it refused: the HTTP code and the Status message. */
async function refusal(create: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await create;
  } catch (err) {
    if (err instanceof ApiException) return { code: err.code, message: apiMessage(err) };
    throw err;
  }
  return assert.fail("the API server accepted it");
}

/** environmentSettings of about `bytes` in all: values of the schema's 32 KiB maximum. */
function bigEnvironment(bytes: number): { name: string; value: string }[] {
  const per = 32768;
  return Array.from({ length: Math.ceil(bytes / per) }, (_, i) => ({ name: `BIG_${i}`, value: "x".repeat(Math.min(per, bytes - i * per)) }));
}

describe("bad inputs", { skip }, () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let ns: { name: string; remove: () => Promise<void> };
  let k: Kubatch;
  let dir: string;
  let outputs: ContainerClient;
  const operator = () => JSON.parse(readFileSync(join(clusterPaths().clusterDir, "operator.json"), "utf8")) as LocalOperator;

  before(async () => {
    kc = kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    ns = await testNamespace(kc, "bad");
    k = new Kubatch(kc, ns.name);
    dir = hostFolder("kubatch-bad-");
    await core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: storage.name }, stringData: { [storage.key]: azurite! } } });
    outputs = BlobServiceClient.fromConnectionString(azurite!).getContainerClient(`out-${ns.name}`);
    await outputs.createIfNotExists();
    await k.create("Job", "plain", { poolInfo: { poolId: "p" } });
    await k.create("Job", "deps", { poolInfo: { poolId: "p" }, usesTaskDependencies: true });
    await k.warmPool("p", 2, { taskSlotsPerNode: 4, ...mountHostFolder(dir) });
  });
  after(async () => {
    await ns.remove();
    await outputs?.deleteIfExists();
    rmSync(dir, { recursive: true, force: true });
  });

  const completed = (name: string, ms: number) =>
    eventually(`task ${name} Completed`, ms, async () => {
      const t = await k.task(name);
      return t.status?.state === "Completed" ? t : undefined;
    }, async () => JSON.stringify((await k.task(name)).status));

  test("refused at create, the message naming the field: ranges past Int32 or wider than 10^6 ids, too many taskIds, self-dependency, escaping output patterns, months, retries below -1", { timeout: 60_000 }, async () => {
    const destination = { container: { containerUrl: outputs.url, credentialsSecretRef: storage } };
    const cases: Record<string, { name?: string; spec: object; field: string; says: RegExp }> = {
      "a range ending at 2^31": { spec: { dependsOn: { taskIdRanges: [{ start: 1, end: 2 ** 31 }] } }, field: "spec.dependsOn.taskIdRanges[0].end", says: /less than or equal to 2147483647/ },
      "a range starting below 0": { spec: { dependsOn: { taskIdRanges: [{ start: -1, end: 5 }] } }, field: "spec.dependsOn.taskIdRanges[0].start", says: /greater than or equal to 0/ },
      "a range of 10^6 + 1 ids": { spec: { dependsOn: { taskIdRanges: [{ start: 0, end: MAX_TASK_ID_RANGE_SPAN }] } }, field: "spec.dependsOn.taskIdRanges[0].end", says: /a range may span at most 1000000 task ids/ },
      "the whole Int32 range": { spec: { dependsOn: { taskIdRanges: [{ start: 0, end: 2 ** 31 - 1 }] } }, field: "spec.dependsOn.taskIdRanges[0].end", says: /a range may span at most 1000000 task ids/ },
      "a backwards range": { spec: { dependsOn: { taskIdRanges: [{ start: 9, end: 3 }] } }, field: "spec.dependsOn.taskIdRanges[0].end", says: /start must not exceed end/ },
      "1,001 ranges": { spec: { dependsOn: { taskIdRanges: Array.from({ length: 1001 }, (_, i) => ({ start: i, end: i })) } }, field: "spec.dependsOn.taskIdRanges", says: /must have at most 1000 items/ },
      "10,001 taskIds": { spec: { dependsOn: { taskIds: Array.from({ length: 10_001 }, (_, i) => `d-${i}`) } }, field: "spec.dependsOn.taskIds", says: /must have at most 10000 items/ },
      "an integer task inside its own range": { name: "7", spec: { dependsOn: { taskIdRanges: [{ start: 5, end: 9 }] } }, field: "spec.dependsOn.taskIdRanges", says: /cannot depend on itself/ },
      "an absolute output pattern (the node's token)": { spec: { outputFiles: [{ filePattern: "/var/run/secrets/kubernetes.io/serviceaccount/token", destination }] }, field: "spec.outputFiles[0].filePattern", says: /should match/ },
      "an output pattern climbing out of the task's directory": { spec: { outputFiles: [{ filePattern: "../../../../etc/passwd", destination }] }, field: "spec.outputFiles[0].filePattern", says: /should match/ },
      "maxWallClockTime in months": { spec: { constraints: { maxWallClockTime: "P1M" } }, field: "spec.constraints.maxWallClockTime", says: /must be a duration: expected a Go duration such as "90s" or "1h30m", or an ISO 8601 duration such as "PT15M" or "P7D"/ },
      "maxTaskRetryCount -2": { spec: { constraints: { maxTaskRetryCount: -2 } }, field: "spec.constraints.maxTaskRetryCount", says: /greater than or equal to -1/ },
      "an environment value over 32 KiB": { spec: { environmentSettings: [{ name: "BIG", value: "x".repeat(32769) }] }, field: "spec.environmentSettings[0].value", says: /Too long/ },
    };
    for (const [i, [what, c]] of Object.entries(cases).entries()) {
      const r = await refusal(k.create("Task", c.name ?? `refused-${i}`, { jobName: "deps", commandLine: "/bin/true", ...c.spec }));
      assert.equal(r.code, 422, `${what}: ${r.message}`);
      assert.ok(r.message.includes(c.field), `${what}: the message names ${c.field}: ${r.message.slice(0, 600)}`);
      assert.match(r.message, c.says, what);
    }
  });

  test(`100 tasks × 10,000 taskIds and 10 × 1,000 ranges of 10^6 ids: accepted, each told what it waits for, the operator under ${operatorRssBoundMiB} MiB, dispatch goes on`, { timeout: 180_000 }, async (t) => {
    const { pid } = operator();
    const before = readProc(pid)!;
    const requestsBefore = await scrape(kubectlPath(), process.env.KUBECONFIG!);
    const sampler = new ProcSampler(pid, 500);
    const at: Record<string, number> = { start: Date.now() };
    const labels = { case: "wide" };
    const wide = Array.from({ length: 100 }, (_, i) => ({ name: `wide-${i}`, labels, spec: { jobName: "deps", commandLine: "/bin/true", dependsOn: { taskIds: Array.from({ length: 10_000 }, (_, j) => `w${i}-${j}`) } } }));
    const ranged = Array.from({ length: 10 }, (_, i) => ({
      name: `ranged-${i}`,
      labels,
      spec: { jobName: "deps", commandLine: "/bin/true", dependsOn: { taskIdRanges: Array.from({ length: 1000 }, (_, j) => ({ start: j * MAX_TASK_ID_RANGE_SPAN, end: (j + 1) * MAX_TASK_ID_RANGE_SPAN - 1 })) } },
    }));
    const names = [...wide, ...ranged].map((x) => x.name);
    const schedulable = (x: Obj<TaskStatus>) => x.status?.conditions?.find((c) => c.type === "Schedulable");
    let s: ProcSummary | undefined;
    try {
      await k.createMany("Task", [...wide, ...ranged], 8);
      at.created = Date.now();
      // Each poll lists ~12 MB: every 2 s, not the default 200 ms.
      const told = await eventually("each waiting task told that its dependencies do not exist", 90_000, async () => {
        const all = await k.tasks("case=wide");
        return all.length === names.length && all.every((x) => schedulable(x)?.status === "False" && schedulable(x)?.reason === "DependencyMissing") ? all : undefined;
      }, async () => `${(await k.tasks("case=wide")).filter((x) => schedulable(x)?.reason === "DependencyMissing").length} of ${names.length} told`, { everyMs: 2_000 });
      at.told = Date.now();
      for (const x of told) {
        const c = schedulable(x)!;
        assert.ok(c.message.length <= 1024, `${x.metadata.name}: a bounded message, ${c.message.length} chars`);
        assert.match(c.message, x.metadata.name.startsWith("wide-") ? /waiting for tasks that do not exist in job deps: w\d+-0, w\d+-1, / : /waiting for tasks that do not exist in job deps: 0, 1, 2, /, x.metadata.name);
        assert.equal(x.metadata.labels?.[nodeLabel], undefined, `${x.metadata.name} never assigned`);
      }
      await k.create("Task", "after-wide", { jobName: "plain", commandLine: "/bin/true" });
      const plain = await completed("after-wide", 60_000);
      at.plain = Date.now();
      assert.equal(plain.status?.executionInfo?.result, "Success", "a plain task of another job still runs");
    } finally {
      s = sampler.stop();
      const end = readProc(pid);
      const taskWrites = writes(delta(requestsBefore, await scrape(kubectlPath(), process.env.KUBECONFIG!)), (r) => r.startsWith("tasks.kubatch.dev"));
      const since = (from: string, to: string) => (at[from] && at[to] ? `${at[to] - at[from]} ms` : "—");
      t.diagnostic(
        `operator pid ${pid}: RSS ${MiB(before.rssKiB)} MiB before, peak ${s.rssPeakMiB} MiB sampled, ${s.rssEndMiB} MiB after; VmHWM ${MiB(before.hwmKiB)} → ${end ? MiB(end.hwmKiB) : "gone"} MiB; ${s.cpuSeconds} CPU s over ${s.seconds} s; ` +
          `created in ${since("start", "created")}, all told ${since("created", "told")} later, the plain task done ${since("told", "plain")} after that; task writes (cluster-wide) ${JSON.stringify(taskWrites.writes)}`,
      );
    }
    const hwm = MiB(readProc(pid)!.hwmKiB);
    assert.ok(isAlive(pid) && operator().pid === pid, "the same operator process throughout");
    assert.ok(s.rssPeakMiB < operatorRssBoundMiB, `peak RSS ${s.rssPeakMiB} MiB < ${operatorRssBoundMiB} MiB`);
    // The high-water mark catches a peak between samples (unless an earlier suite left it higher).
    if (MiB(before.hwmKiB) < operatorRssBoundMiB) assert.ok(hwm < operatorRssBoundMiB, `VmHWM ${hwm} MiB < ${operatorRssBoundMiB} MiB`);
    // The cases after this one do not share the scheduler with these tasks.
    await k.custom.deleteCollectionNamespacedCustomObject({ group: "kubatch.dev", version: "v1alpha1", namespace: ns.name, plural: "tasks", labelSelector: "case=wide" });
  });

  test("Task size: 1 MB of environment is stored and runs; 1.4 MB is refused naming the field (1 MiB in all, as Azure Batch), 3.5 MB by the API server's body limit; the operator stays up", { timeout: 120_000 }, async (t) => {
    const { pid, healthPort } = operator();
    const cases: Record<string, { bytes: number; refused?: { code: number; says: RegExp } }> = {
      "1 MB": { bytes: 1_000_000 },
      "1.4 MB": { bytes: 1_400_000, refused: { code: 422, says: /spec\.environmentSettings: .*at most 1048576 characters/ } },
      "3.5 MB": { bytes: 3_500_000, refused: { code: 413, says: /too large/i } },
    };
    for (const [i, [what, c]] of Object.entries(cases).entries()) {
      const name = `big-${i}`;
      const last = Math.ceil(c.bytes / 32768) - 1;
      const create = k.create("Task", name, { jobName: "plain", commandLine: `/bin/sh -c 'echo \${#BIG_0} \${#BIG_${last}}'`, environmentSettings: bigEnvironment(c.bytes) });
      if (c.refused) {
        const r = await refusal(create);
        t.diagnostic(`${what}: HTTP ${r.code}: ${r.message.slice(0, 200)}`);
        assert.equal(r.code, c.refused.code, `${what}: ${r.message.slice(0, 300)}`);
        assert.match(r.message, c.refused.says, what);
        continue;
      }
      await create;
      const done = await completed(name, 60_000);
      assert.equal(done.status?.executionInfo?.result, "Success", `${what}: ${JSON.stringify(done.status?.executionInfo)}`);
      assert.equal(done.status?.stdoutTail, `32768 ${c.bytes - last * 32768}\n`, what);
    }
    assert.ok(isAlive(pid) && operator().pid === pid, "the operator did not restart");
    assert.equal((await get(`http://127.0.0.1:${healthPort}/readyz`)).status, 200, "and is ready");
  });

  test("maxWallClockTime P30D and Azure's unlimited value, under a job limit of P4W: `sleep 5` runs to its end", { timeout: 90_000 }, async () => {
    const log = join(dir, "durations.log");
    await k.create("Job", "durations", { poolInfo: { poolId: "p" }, constraints: { maxWallClockTime: "P4W" } });
    const cases: Record<string, string> = { "wall-p30d": "P30D", "wall-unlimited": UNLIMITED_DURATION };
    await Promise.all(Object.entries(cases).map(([name, limit]) => k.create("Task", name, { jobName: "durations", commandLine: shellTask(log, "sleep 5"), constraints: { maxWallClockTime: limit } })));
    for (const [name, limit] of Object.entries(cases)) {
      const done = await completed(name, 60_000);
      const info = done.status?.executionInfo;
      assert.deepEqual({ result: info?.result, exitCode: info?.exitCode, failure: info?.failureInfo?.code }, { result: "Success", exitCode: 0, failure: undefined }, `${name} (${limit})`);
      const ran = runs(log).filter((r) => r.task === name);
      assert.equal(ran.length, 1, `${name} ran once`);
      assert.ok(ran[0]!.end! - ran[0]!.start >= 5_000_000, `${name} ran its 5 s: ${(ran[0]!.end! - ran[0]!.start) / 1e6} s`);
    }
    assert.equal((await k.job("durations")).status?.state ?? "Active", "Active", "the job's P4W limit has not ended it");
  });

  test("an autoscale target of 10^9 is lowered to the pool limit and reported as AutoScaleTargetTooLarge", { timeout: 90_000 }, async () => {
    // Its own namespace, where a quota of 0 pods keeps the capped 10,000 replicas from being made.
    const quotaNs = await testNamespace(kc, "bad-autoscale");
    try {
      await core.createNamespacedResourceQuota({ namespace: quotaNs.name, body: { metadata: { name: "no-pods" }, spec: { hard: { pods: "0" } } } });
      const q = new Kubatch(kc, quotaNs.name);
      await q.create("Pool", "huge", { vmSize: "small", enableAutoScale: true, autoScaleEvaluationInterval: "5m", autoScaleFormula: "$TargetDedicatedNodes = 1000000000;" });
      const pool = await eventually("an evaluation", 60_000, async () => {
        const p = await q.pool("huge");
        return p.status?.autoScaleRun ? p : undefined;
      });
      const error = pool.status!.autoScaleRun!.error;
      assert.equal(error?.code, "AutoScaleTargetTooLarge", JSON.stringify(pool.status?.autoScaleRun));
      assert.match(error?.message ?? "", new RegExp(`\\$TargetDedicatedNodes = 1000000000 is more than a pool may have \\(${MAX_POOL_NODES} nodes\\)`));
      assert.equal(pool.status?.targetDedicatedNodes, MAX_POOL_NODES);
      const apps = kc.makeApiClient(AppsV1Api);
      // The Deployment may be made at 0 replicas before the target reaches it.
      const replicas = () => apps.readNamespacedDeployment({ name: "huge-dedicated", namespace: quotaNs.name }).then((d) => d.spec?.replicas, () => undefined);
      await eventually("the node Deployment asks for the pool limit, not 10^9", 30_000, async () => ((await replicas()) === MAX_POOL_NODES ? true : undefined), async () => `replicas ${await replicas()}`);
      assert.equal((await core.listNamespacedPod({ namespace: quotaNs.name })).items.length, 0);
    } finally {
      await quotaNs.remove();
    }
  });

  test("output patterns through symlinks out of the task's directory upload nothing from outside and fail the task with FileUploadError", { timeout: 120_000 }, async () => {
    const cases: Record<string, { script: string; pattern: string; uploaded: string[]; refused: RegExp }> = {
      "out-passwd": { script: "ln -s /etc/passwd x", pattern: "x", uploaded: [], refused: /\/x: its real path \/etc\/passwd is outside the task's directory/ },
      "out-token": { script: "ln -s /var/run/secrets/kubernetes.io/serviceaccount/token tok", pattern: "tok", uploaded: [], refused: /\/tok: its real path (\/var)?\/run\/secrets\/\S+ is outside/ },
      "out-dir": { script: "ln -s /var/run/secrets/kubernetes.io/serviceaccount sa", pattern: "sa/token", uploaded: [], refused: /\/sa\/token: its real path (\/var)?\/run\/secrets\/\S+ is outside/ },
      "out-mixed": { script: "echo fine > good.txt; ln -s /etc/passwd bad.txt", pattern: "*.txt", uploaded: ["out-mixed/good.txt"], refused: /\/bad\.txt: its real path \/etc\/passwd is outside/ },
    };
    for (const [name, c] of Object.entries(cases)) {
      await k.create("Task", name, {
        jobName: "plain",
        commandLine: `/bin/sh -c '${c.script}'`,
        outputFiles: [{ filePattern: c.pattern, destination: { container: { containerUrl: outputs.url, path: name, credentialsSecretRef: storage } } }],
      });
    }
    for (const [name, c] of Object.entries(cases)) {
      const done = await completed(name, 60_000);
      const info = done.status?.executionInfo;
      assert.equal(info?.exitCode, 0, name);
      assert.equal(info?.result, "Failure", name);
      assert.equal(info?.failureInfo?.code, fileUploadError, name);
      assert.match(info?.failureInfo?.message ?? "", c.refused, name);
    }
    const blobs: string[] = [];
    for await (const b of outputs.listBlobsFlat()) blobs.push(b.name);
    assert.deepEqual(blobs.sort(), Object.values(cases).flatMap((c) => c.uploaded).sort(), "only the file inside the task's directory left the node");
  });

  test("maxTaskRetryCount -1 with a command that always exits 1: retried with back-off (the first retry at once, then 1 s doubling) while the task stays Running and shows its retryCount; terminating the job ends the wait", { timeout: 150_000 }, async (t) => {
    const log = join(dir, "forever.log");
    await k.create("Job", "forever", { poolInfo: { poolId: "p" } });
    await k.create("Task", "forever-1", { jobName: "forever", commandLine: shellTask(log, "exit 1"), constraints: { maxTaskRetryCount: -1 } });
    // The run log's times are in µs.
    const startsMs = () => runs(log).map((r) => r.start / 1000);
    const first = await eventually("forever-1 started", 60_000, async () => startsMs()[0]);
    // The agent's schedule (retry-delay.ts): retry n starts retryDelayMs(n) after attempt n-1 ended.
    const watchMs = 20_000;
    let due = 0;
    let scheduled = 1;
    while (due + retryDelayMs(scheduled) <= watchMs) due += retryDelayMs(scheduled++);
    await new Promise((r) => setTimeout(r, first + watchMs - Date.now()));
    const starts = startsMs();
    const attempts = starts.filter((at) => at <= first + watchMs).length;
    const running = await k.task("forever-1");
    const info = running.status?.executionInfo;
    t.diagnostic(`maxTaskRetryCount -1: ${attempts} attempts in ${watchMs / 1000} s (the schedule allows ${scheduled}), gaps ${starts.slice(1).map((at, i) => Math.round(at - starts[i]!)).join(", ")} ms; status retryCount ${info?.retryCount ?? "absent"}, lastRetryTime ${info?.lastRetryTime ?? "absent"}`);
    assert.ok(attempts <= scheduled + 1, `${attempts} attempts in ${watchMs} ms: at most the ${scheduled} the back-off allows (and one of slack)`);
    assert.ok(attempts >= scheduled - 1, `${attempts} attempts in ${watchMs} ms: retried, ${scheduled} scheduled`);
    for (let n = 2; n < starts.length; n++) assert.ok(starts[n]! - starts[n - 1]! >= retryDelayMs(n) - 200, `retry ${n} started ${Math.round(starts[n]! - starts[n - 1]!)} ms after retry ${n - 1}, before its ${retryDelayMs(n)} ms back-off`);
    assert.equal(running.status?.state, "Running");
    // Written when a wait of ≥ 5 s began (before retry 5, ~7 s in; before retry 6, ~15 s in).
    assert.ok((info?.retryCount ?? 0) >= 4, `the status shows the retries while it waits: ${JSON.stringify(info)}`);
    assert.ok(info?.lastRetryTime, "and when the latest started");
    await k.patchSpec("jobs", "forever", { terminate: true });
    const done = await completed("forever-1", 30_000);
    assert.equal(done.status?.executionInfo?.failureInfo?.code, taskEnded, JSON.stringify(done.status?.executionInfo));
    // The next retry was due ~16 s after the one before the watch ended: past that, nothing started.
    const settled = runs(log).length;
    const nextDue = starts.at(-1)! + retryDelayMs(starts.length) + 2_000;
    await new Promise((r) => setTimeout(r, Math.max(3_000, nextDue - Date.now())));
    assert.equal(runs(log).length, settled, "no attempt after the job ended, not even the retry its wait was for");
    assert.ok(runs(log).filter((r) => r.end === undefined).length <= 1, "every attempt ended but the one the job's end cut short");
  });

  test("kubatch task add --from-blobs: shell metacharacters in blob names reach the task as one word; nothing else runs", { timeout: 120_000 }, async () => {
    const container = BlobServiceClient.fromConnectionString(azurite!).getContainerClient(`names-${ns.name}`);
    await container.createIfNotExists();
    try {
      const mark = (n: number) => `${dir}/pwned-${n}`;
      const names = [
        `a;touch ${mark(1)}.png`,
        `b;touch ${mark(2)}-$RANDOM.png`,
        `c$(touch ${mark(3)}).png`,
        `d\`touch ${mark(4)}\`.png`,
        `e' ; touch ${mark(5)} ; '.png`,
        `f" ; touch ${mark(6)} ; ".png`,
        `g && touch ${mark(7)} || x | y > z.png`,
        // (A backslash cannot be tried: blob storage reads it as '/'.)
        `h$HOME'"$(touch ${mark(8)})"'.png`,
      ];
      for (const n of names) await container.getBlockBlobClient(n).upload("", 0);
      await k.create("Job", "names", { poolInfo: { poolId: "p" } });
      const log = join(dir, "names.log");
      const env = { ...process.env, AZURE_STORAGE_CONNECTION_STRING: azurite };
      const add = await run(kubatchBin, ["task", "add", "names", "--from-blobs", container.url, "--command", shellTask(log, "printf '%s\\n' {}"), "-n", ns.name], 60_000, env);
      assert.equal(add.code, 0, show(add));
      assert.match(add.stdout, new RegExp(`${names.length} tasks: ${names.length} created`));
      const tasks = await eventually(`the ${names.length} tasks completed`, 90_000, async () => {
        const all = await k.tasks(`${addedTaskJobLabel}=names`);
        return all.length === names.length && all.every((x) => x.status?.state === "Completed") ? all : undefined;
      });
      const byItem = new Map<string, Obj<TaskStatus>>(tasks.map((x) => [String(x.spec.displayName), x]));
      assert.deepEqual([...byItem.keys()].sort(), [...names].sort(), "one task per blob, named for it");
      for (const [item, task] of byItem) {
        assert.equal(task.status?.executionInfo?.result, "Success", `${item}: ${JSON.stringify(task.status?.executionInfo)}`);
        assert.equal(task.status?.stdoutTail, `${item}\n`, `${item}: the blob name as one word`);
      }
      assert.equal(runs(log).length, names.length, "one run per task");
      assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith("pwned")), [], "no injected command ran");
    } finally {
      await container.deleteIfExists();
    }
  });
});
