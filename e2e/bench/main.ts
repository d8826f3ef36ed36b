// `make bench`: kubatch against one pod per task (a batch/v1 Indexed Job) on a local cluster
// of its own, side by side in one run — throughput, the bare create rate and API writes per
// task, latency on an idle warm pool, one big job (operator RSS/CPU, object sizes, drain), and
// one task collection (issue 16: N items of /bin/true as chunks, next to the bare spawn rate).
// A collection of more than 100,000 items (e.g. --only collection --collection-tasks 1000000)
// gets the budget it needs at 100 items/s (187 minutes for a million) unless --budget-minutes
// says otherwise. Prints a table, writes <state-dir>/bench.json, and brings the cluster down at the end.
//
//   node e2e/bench/main.ts [--tasks N] [--scale 10000] [--large] [--latency-tasks 500]
//     [--rate 20] [--nodes 2] [--slots 4] [--collection-tasks 20000]
//     [--only create,tp,pod,job,podstart,dispatch,latency,collection,scale]
//     [--state-dir .kubatch/bench] [--cpu-prof] [--keep] [--budget-minutes 19]
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { down, readInfo, up } from "../../local-cluster/control-plane.ts";
import { deployLocal } from "../../local-cluster/deploy-local.ts";
import { freePort } from "../../local-cluster/ports.ts";
import { get, waitFor } from "../../local-cluster/probe.ts";
import { isAlive, startDetached } from "../../local-cluster/processes.ts";
import { clusterPaths, repoRoot, type ClusterPaths } from "../../local-cluster/state.ts";
import { createObject, getObject, makeBench } from "./kube.ts";
import { createRate, dispatchThroughput, indexedJob, kubatchThroughput, latency, podModeThroughput, podStart, scale, taskCollection, type Env } from "./phases.ts";
import { summarizeProfile, type ProfileSummary } from "./profile.ts";
import { printReport } from "./report.ts";
import { round, sleep, until } from "./stats.ts";

const allPhases = ["create", "tp", "pod", "job", "podstart", "dispatch", "latency", "collection", "scale"] as const;
type Phase = (typeof allPhases)[number];

const { values } = parseArgs({
  options: {
    tasks: { type: "string", default: "500" },
    scale: { type: "string" },
    large: { type: "boolean", default: false },
    "latency-tasks": { type: "string", default: "500" },
    "collection-tasks": { type: "string", default: "20000" },
    rate: { type: "string", default: "20" },
    nodes: { type: "string", default: "2" },
    slots: { type: "string", default: "4" },
    only: { type: "string" },
    "state-dir": { type: "string", default: join(repoRoot, ".kubatch", "bench") },
    "cpu-prof": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    "budget-minutes": { type: "string" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(readFileSync(new URL(import.meta.url), "utf8").split("\n").filter((l) => l.startsWith("//")).map((l) => l.slice(3)).join("\n"));
  process.exit(0);
}

const int = (name: string, v: string | undefined, min: number, max: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name}: expected an integer in ${min}..${max}, got "${v}"`);
  return n;
};
const tasks = int("tasks", values.tasks, 1, 100_000);
const scaleN = int("scale", values.scale ?? (values.large ? "100000" : "10000"), 1, 1_000_000);
const latencyTasks = int("latency-tasks", values["latency-tasks"], 1, 100_000);
const collectionTasks = int("collection-tasks", values["collection-tasks"], 1, 10_000_000);
const rate = int("rate", values.rate, 1, 1_000);
const nodes = int("nodes", values.nodes, 1, 50);
const slots = int("slots", values.slots, 1, 256);
const phases = new Set<Phase>(values.only ? (values.only.split(",").map((p) => p.trim()) as Phase[]) : allPhases);
// The default run must finish within 20 minutes; the opt-in large runs get longer: a big
// collection as long as it needs at 100 items/s (a shared 2-core machine does 110–150).
const bigCollection = phases.has("collection") && collectionTasks > 100_000 ? 20 + Math.ceil(collectionTasks / 100 / 60) : 0;
const defaultBudget = Math.max(values.large ? 90 : 19, bigCollection);
const budgetMs = int("budget-minutes", values["budget-minutes"] ?? String(defaultBudget), 1, 24 * 60) * 60_000;
for (const p of phases) if (!allPhases.includes(p)) throw new Error(`--only: unknown phase "${p}" (phases: ${allPhases.join(", ")})`);

const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}`);
const left = () => budgetMs - (Date.now() - started);

async function main(): Promise<number> {
  const paths = clusterPaths(values["state-dir"]);
  // Interrupted: still bring the cluster down (unless --keep), bounded by down()'s own limits.
  process.once("SIGINT", () => {
    log("interrupted");
    if (values.keep) process.exit(130);
    down({ paths, log }).finally(() => process.exit(130));
  });
  mkdirSync(paths.stateDir, { recursive: true });
  const results: Record<string, unknown> = {};
  const errors: string[] = [];
  let profile: (ProfileSummary & { heapAfterFullGc?: object }) | undefined;
  let operator: { pid: number } | undefined;
  try {
    log(`bringing up a local cluster in ${paths.stateDir}`);
    const info = await up({ paths, azurite: false, log: (l) => log(`  ${l}`) });
    operator = await deployLocal({ paths, log: (l) => log(`  ${l}`) });
    if (values["cpu-prof"]) operator = await profiledOperator(paths, operator);
    const kc = new KubeConfig();
    kc.loadFromFile(info.kubeconfig);
    const namespace = "kubatch-bench";
    const b = makeBench(kc, namespace, log);
    await b.core.createNamespace({ body: { metadata: { name: namespace } } }).catch((err: unknown) => {
      if ((err as { code?: number }).code !== 409) throw err;
    });
    await until("the default ServiceAccount", 60_000, 500, () => b.core.readNamespacedServiceAccount({ name: "default", namespace }));
    const env: Env = {
      ...b,
      kubectl: join(info.binDir, "kubectl"),
      kubeconfig: info.kubeconfig,
      clusterId: info.id,
      etcdUrl: `http://127.0.0.1:${info.ports.etcd}`,
      operatorPid: () => (JSON.parse(readFileSync(join(paths.clusterDir, "operator.json"), "utf8")) as { pid: number }).pid,
      warmPool: "warm",
      emptyPool: "empty",
      slots: nodes * slots,
      run: Date.now().toString(36).slice(-5),
      left,
    };
    await ensurePool(env, "empty", 0, 1);
    const p0 = Date.now();
    await ensurePool(env, "warm", nodes, slots);
    log(`pool warm: ${nodes} idle nodes × ${slots} slots in ${round((Date.now() - p0) / 1000)} s`);
    await sleep(5_000); // the agents finish starting (module loading, JIT) before anything is measured
    results.setupSeconds = round((Date.now() - started) / 1000);

    const run = async (phase: Phase, fn: () => Promise<unknown>) => {
      if (!phases.has(phase)) return;
      if (left() < 60_000) {
        errors.push(`${phase}: skipped, the time budget is spent`);
        log(`skipping ${phase}: the time budget is spent`);
        return;
      }
      try {
        results[phase] = await fn();
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        errors.push(`${phase}: ${message}`);
        log(`${phase} failed: ${message}`);
      }
    };
    await run("create", () => createRate(env, tasks));
    await run("tp", () => kubatchThroughput(env, tasks));
    await run("pod", () => podModeThroughput(env, tasks));
    await run("job", () => indexedJob(env, tasks, nodes * slots));
    await run("podstart", () => podStart(env, 20));
    await run("dispatch", () => dispatchThroughput(env, tasks));
    await run("latency", () => latency(env, latencyTasks, rate));
    await run("collection", () => taskCollection(env, collectionTasks));
    await run("scale", () => scale(env, scaleN));
  } catch (err) {
    errors.push(`setup: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    log(`failed: ${errors.at(-1)}`);
  } finally {
    if (values["cpu-prof"] && operator) profile = await stopProfiledOperator(paths, operator.pid);
    if (!values.keep) {
      log("bringing the cluster down");
      await down({ paths, log: (l) => log(`  ${l}`) }).catch((err: unknown) => errors.push(`down: ${String(err)}`));
    }
  }

  const report = {
    when: new Date(started).toISOString(),
    command: `node e2e/bench/main.ts ${process.argv.slice(2).join(" ")}`.trim(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30), node: process.version, loadAverageAtEnd: (await import("node:os")).loadavg().map((x) => round(x, 2)) },
    source: gitState(),
    settings: { tasks, nodes, slotsPerNode: slots, latencyTasks, rate, scale: scaleN, collectionTasks, createInFlight: 32 },
    totalSeconds: round((Date.now() - started) / 1000),
    ...results,
    podMode: podModeVs(results),
    profile,
    errors,
  };
  const out = join(paths.stateDir, "bench.json");
  writeFileSync(out, JSON.stringify(report, null, 2) + "\n");
  printReport(report as never);
  log(`wrote ${out}`);
  return errors.length > 0 ? 1 : 0;
}

async function ensurePool(env: Env, name: string, n: number, s: number): Promise<void> {
  await createObject(env, "Pool", name, { vmSize: "small", targetDedicatedNodes: n, taskSlotsPerNode: s }).catch((err: unknown) => {
    if ((err as { code?: number }).code !== 409) throw err;
  });
  if (n === 0) return;
  await until(`${n} idle nodes in pool ${name}`, 180_000, 500, async () => {
    const pool = await getObject<{ status?: { nodeCounts?: { idle?: number } } }>(env, "pools", name);
    return pool.status?.nodeCounts?.idle === n ? true : undefined;
  }, async () => JSON.stringify((await getObject<{ status?: unknown }>(env, "pools", name)).status));
}

/** Replaces the operator deployLocal started by one running under `node --cpu-prof`. */
async function profiledOperator(paths: ClusterPaths, previous: { pid: number }): Promise<{ pid: number }> {
  const info = readInfo(paths)!;
  process.kill(previous.pid, "SIGTERM");
  await waitFor("the operator to stop", 15_000, async () => !isAlive(previous.pid));
  const dir = join(paths.stateDir, "profiles");
  mkdirSync(dir, { recursive: true });
  const healthPort = await freePort();
  // --trace-gc logs the heap after each collection: live heap next to RSS.
  const args = ["--cpu-prof", `--cpu-prof-dir=${dir}`, "--trace-gc", join(repoRoot, "operator", "src", "main.ts"), `--health-addr=127.0.0.1:${healthPort}`, `--config=${join(paths.clusterDir, "operator-config.yaml")}`];
  const started = startDetached("operator-profiled", process.execPath, args, { clusterId: info.id, logDir: paths.logs, env: { KUBECONFIG: info.kubeconfig } });
  await waitFor("the profiled operator's /readyz", 60_000, async () => (await get(`http://127.0.0.1:${healthPort}/readyz`)).status === 200, () => (isAlive(started.pid) ? undefined : `exited; see ${started.log}`));
  writeFileSync(join(paths.clusterDir, "operator.json"), JSON.stringify({ pid: started.pid, healthPort, log: started.log }) + "\n");
  log(`operator running under --cpu-prof (pid ${started.pid}, profiles in ${dir})`);
  return { pid: started.pid };
}

async function stopProfiledOperator(paths: ClusterPaths, pid: number): Promise<(ProfileSummary & { heapAfterFullGc?: object }) | undefined> {
  const dir = join(paths.stateDir, "profiles");
  const before = new Set(existsSync(dir) ? readdirSync(dir) : []);
  if (isAlive(pid)) process.kill(pid, "SIGTERM");
  for (let i = 0; i < 300 && isAlive(pid); i++) await sleep(100);
  const file = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith(".cpuprofile") && !before.has(f)) : undefined;
  if (!file) {
    log("no CPU profile was written");
    return undefined;
  }
  const summary = { ...summarizeProfile(join(dir, file)), heapAfterFullGc: heapAfterFullGc(join(paths.logs, "operator-profiled.log")) };
  writeFileSync(join(dir, file.replace(/\.cpuprofile$/, ".summary.json")), JSON.stringify(summary, null, 2) + "\n");
  log(`operator CPU profile: ${join(dir, file)}`);
  return summary;
}

/** Pod mode next to warm nodes and the Indexed Job, measured in this run (what was not run says so). */
function podModeVs(results: Record<string, unknown>) {
  const rate = (k: string) => (results[k] as { perSecond?: number } | undefined)?.perSecond;
  const [pod, warm, job] = [rate("pod"), rate("tp"), rate("job")];
  if (!pod) return { measured: false, note: `not measured: ${phases.has("pod") ? "the pod phase failed or was skipped (see errors)" : "the pod phase was not selected (--only)"}` };
  return {
    measured: true,
    podModeTasksPerSecond: pod,
    warmNodeTasksPerSecond: warm ?? null,
    indexedJobPodsPerSecond: job ?? null,
    warmNodeOverPodMode: warm ? round(warm / pod, 2) : null,
    podModeOverIndexedJob: job ? round(pod / job, 2) : null,
  };
}

/** The commit measured, and whether the working tree differed from it (read-only git). */
function gitState(): { commit?: string; changedFiles?: number } {
  try {
    const commit = execFileSync("git", ["-C", repoRoot, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    const changed = execFileSync("git", ["-C", repoRoot, "status", "--porcelain"], { encoding: "utf8" }).split("\n").filter(Boolean).length;
    return { commit, changedFiles: changed };
  } catch {
    return {};
  }
}

/** From --trace-gc lines: the heap (MB) left after each Mark-Compact, first/max/last. */
function heapAfterFullGc(logFile: string): { collections: number; firstMB: number; maxMB: number; lastMB: number } | undefined {
  if (!existsSync(logFile)) return undefined;
  const after = [...readFileSync(logFile, "utf8").matchAll(/Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \(/g)].map((m) => Number(m[1]));
  if (after.length === 0) return undefined;
  return { collections: after.length, firstMB: after[0]!, maxMB: Math.max(...after), lastMB: after.at(-1)! };
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
