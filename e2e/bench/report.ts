// The benchmark's table, printed from the same object that goes into bench.json.
type P = { n: number; p50: number; p90: number; p99: number; max: number };
type Writes = { perTask: Record<string, number>; afterCreatePerTask: number; allWritesPerTask: number; conflicts: Record<string, number> };
type Cpu = { seconds: number; components: Record<string, number>; machineCores: number; clusterCores: number };
type Report = {
  when: string;
  command: string;
  machine: { cpus: number; cpuModel?: string; memoryGiB: number; node: string; loadAverageAtEnd: number[] };
  settings: { tasks: number; nodes: number; slotsPerNode: number; latencyTasks: number; rate: number; scale: number; collectionTasks: number; createInFlight: number };
  totalSeconds: number;
  create?: { perSecond: number; seconds: number; writes: Writes; cpu: Cpu; keptAlive?: { perSecond: number }; connectionReuse?: Record<string, { ms: number; clientCpuMsPerRequest: number; newConnections: number }> };
  tp?: { perSecond: number; seconds: number; failed: number; create?: { seconds: number; perSecond: number }; writes: Writes; cpu: Cpu };
  dispatch?: { perSecond: number; seconds: number; failed: number; writes: Writes; cpu: Cpu };
  pod?: { perSecond: number; seconds: number; firstCompletedSeconds?: number; completed: number; n: number; failed: number; timedOut: boolean; image: string; create?: { seconds: number; perSecond: number }; writes: Writes; podWritesPerTask: Record<string, number>; cpu: Cpu; podCleanupSeconds: number };
  job?: { perSecond: number; seconds: number; completed: number; n: number; timedOut: boolean; allWritesPerTask: number; cpu: Cpu; podCleanupSeconds: number };
  podstart?: { pods: number; createToRunningMs: { p50: number; p90: number; p99: number } };
  latency?: { count: number; perSecond: number; createToProcessStart: P; createToCompleted: P; createToAssignedSeen: P; createToAgentStartTime: P; createCall?: P; assignedSeenToProcessStart?: P; writes: Writes; cpu: Cpu };
  scale?: {
    n: number;
    completed: number;
    timedOut: boolean;
    drainSeconds: number;
    perSecond: number;
    create?: { perSecond: number; seconds: number };
    operator: { rssStartMiB: number; rssPeakMiB: number; rssEndMiB: number; cpuSeconds: number; cpuCores: number };
    largestObjectBytes: { pool: number; job: number; task: number; deployment: number; jobDuringRun: number; poolDuringRun: number };
    writes: Writes;
    cpu: Cpu;
  };
  collection?: {
    tasks: number;
    completed: number;
    failed: number;
    timedOut: boolean;
    seconds: number;
    perSecond: number;
    statusSeconds?: number;
    spawnCeilingPerSecond: number;
    spawnCeiling: { spawns: number; seconds: number; concurrency: number; parentCpuMsPerSpawn: number; childCpuMsPerSpawn: number };
    ofSpawnCeiling?: number;
    apiWritesPerTask: number;
    apiWrites: Record<string, number>;
    operatorRssPeakMiB: number;
    operator: { rssStartMiB: number; rssEndMiB: number; cpuSeconds: number; cpuCores: number };
    largestObjectBytes: number;
    objectBytes: { collection: number; chunk: number; chunks: number; job: number };
    etcdDbGrowthMiB: number;
    etcdDb: { beforeMiB: number; afterMiB: number; inUseGrowthMiB?: number };
    cpu: Cpu;
    cpuMsPerItem: Record<string, number>;
    nodeCpu: { processes: number };
    nodeCpuMsPerItem: { agent: number; runner: number; itemProcess: number };
    cleanupSeconds: number;
    loadAverage: { start: number; end: number };
  };
  podMode: { measured: false; note: string } | { measured: true; podModeTasksPerSecond: number; warmNodeTasksPerSecond: number | null; indexedJobPodsPerSecond: number | null; warmNodeOverPodMode: number | null; podModeOverIndexedJob: number | null };
  errors: string[];
};

const f = (x: number | undefined, d = 1) => (x === undefined || Number.isNaN(x) ? "—" : x.toFixed(d));
const ok = (pass: boolean | undefined) => (pass === undefined ? "" : pass ? "  ✓" : "  ✗ missed");
const pct = (p: P | undefined) => (p ? `p50 ${f(p.p50)} · p90 ${f(p.p90)} · p99 ${f(p.p99)} ms (n=${p.n})` : "—");
const busiest = (c: Cpu | undefined) =>
  c ? `${Object.entries(c.components).slice(0, 4).map(([k, v]) => `${k} ${f(v)}s`).join(", ")}; machine ${f(c.machineCores, 2)} cores busy (${f(c.clusterCores, 2)} this cluster)` : "";

export function printReport(r: Report): void {
  const rows: [string, string, string?][] = [];
  const add = (label: string, value: string, note?: string) => rows.push([label, value, note]);
  const s = r.settings;
  const ratio = r.tp && r.job ? r.tp.perSecond / r.job.perSecond : undefined;
  const fraction = r.tp && r.create ? r.tp.perSecond / r.create.perSecond : undefined;

  add(`THROUGHPUT  ${s.tasks} × /bin/true, ${s.nodes} nodes × ${s.slotsPerNode} slots = ${s.nodes * s.slotsPerNode} in parallel`, "");
  add("  kubatch, created by one client meanwhile", r.tp ? `${f(r.tp.perSecond)} tasks/s` : "—", r.tp ? `${f(r.tp.seconds, 2)} s, creates done at ${f(r.tp.create?.seconds, 2)} s, ${r.tp.failed} not Success` : undefined);
  add("  kubatch, dispatch only (pre-created, job enabled)", r.dispatch ? `${f(r.dispatch.perSecond)} tasks/s` : "—", r.dispatch ? `${f(r.dispatch.seconds, 2)} s` : undefined);
  add("  batch/v1 Indexed Job, one pod per index", r.job ? `${f(r.job.perSecond)} pods/s` : "—", r.job ? `${f(r.job.seconds, 2)} s, ${r.job.completed}/${r.job.n}${r.job.timedOut ? " TIMED OUT" : ""}` : undefined);
  add("  pod start on the node, create → Running", r.podstart ? `p50 ${f(r.podstart.createToRunningMs.p50)} ms` : "—", r.podstart ? `p99 ${f(r.podstart.createToRunningMs.p99)} ms over ${r.podstart.pods} pods, one at a time` : undefined);
  add("  ratio kubatch / Job", ratio ? `${f(ratio)}×${ok(ratio >= 10)}` : "—", "target ≥ 10×");
  const pm = r.podMode;
  if (!pm.measured) add(`POD MODE  ${pm.note}`, "");
  else {
    const p = r.pod!;
    add(`POD MODE  ${p.n} container tasks (containerSettings ${p.image}, /bin/true), one Pod each, no slot limit`, "");
    add("  kubatch Pod mode, created by one client meanwhile", `${f(p.perSecond)} tasks/s`, `${f(p.seconds, 2)} s, ${p.completed}/${p.n} Completed${p.timedOut ? " TIMED OUT" : ""}, first at ${f(p.firstCompletedSeconds, 2)} s, creates done at ${f(p.create?.seconds, 2)} s, ${p.failed} not Success`);
    add("  ratio warm node / Pod mode", pm.warmNodeOverPodMode !== null ? `${f(pm.warmNodeOverPodMode, 2)}×` : "—", "same run, tp phase");
    add("  ratio Pod mode / Indexed Job", pm.podModeOverIndexedJob !== null ? `${f(pm.podModeOverIndexedJob, 2)}×` : "—", "same run, job phase");
    add("  task writes after its creation (Pod mode)", f(p.writes.afterCreatePerTask, 2), Object.entries(p.writes.perTask).filter(([k]) => !k.endsWith(" POST")).map(([k, v]) => `${k} ${f(v, 2)}`).join(", "));
    add("  Pod writes per task (Pod mode)", f(p.podWritesPerTask.total, 2), Object.entries(p.podWritesPerTask).filter(([k]) => k !== "total").map(([k, v]) => `${k} ${f(v, 2)}`).join(", "));
    add("  every API write, per task (Pod mode)", f(p.writes.allWritesPerTask, 2), Object.keys(p.writes.conflicts).length ? `conflicts: ${JSON.stringify(p.writes.conflicts)}` : "no 409s on tasks");
  }
  add("CREATE RATE  one client, 32 in flight, pool without nodes", "");
  add("  bare Task creates (client-node default)", r.create ? `${f(r.create.perSecond)} /s` : "—", "a new TLS connection per request, like `kubatch task add`");
  add("  bare Task creates, kept-alive connections", r.create?.keptAlive ? `${f(r.create.keptAlive.perSecond)} /s` : "—", "one shared undici dispatcher");
  add("  kubatch throughput / create rate", fraction ? `${f(fraction, 2)}${ok(fraction >= 1 / 3)}` : "—", "target ≥ 0.33");
  if (r.create?.connectionReuse) {
    for (const [k, c] of Object.entries(r.create.connectionReuse)) add(`  400 GETs, 8 in flight: ${k}`, `${c.ms} ms`, `${f(c.clientCpuMsPerRequest, 2)} ms client CPU/request, ${c.newConnections} new connections`);
  }
  add("API WRITES PER TASK  apiserver_request_total deltas", "");
  if (r.tp) {
    for (const [k, v] of Object.entries(r.tp.writes.perTask)) add(`  ${k}`, f(v, 2));
    add("  task writes after its creation", `${f(r.tp.writes.afterCreatePerTask, 2)}${ok(r.tp.writes.afterCreatePerTask <= 3)}`, "target ≤ 3");
    add("  every API write, per task (kubatch)", f(r.tp.writes.allWritesPerTask, 2), Object.keys(r.tp.writes.conflicts).length ? `conflicts: ${JSON.stringify(r.tp.writes.conflicts)}` : "no 409s");
  }
  if (r.job) add("  every API write, per pod (Indexed Job)", f(r.job.allWritesPerTask, 2));
  if (r.latency) {
    const l = r.latency;
    add(`LATENCY  ${l.count} tasks at ${l.perSecond}/s, idle warm pool`, "");
    add("  create → process start", pct(l.createToProcessStart), `target p50 ≤ 50, p99 ≤ 250${ok(l.createToProcessStart.p50 <= 50 && l.createToProcessStart.p99 <= 250)}`);
    add("  the create call alone", pct(l.createCall), "client → API server → answer");
    add("  create → assignment seen", pct(l.createToAssignedSeen), "operator's dispatch, seen by this client's watch");
    add("  assignment seen → process start", pct(l.assignedSeenToProcessStart), "agent's watch, parse, spawn");
    add("  create → Completed seen", pct(l.createToCompleted));
  }
  if (r.scale) {
    const c = r.scale;
    add(`SCALE  ${c.n} tasks in one job`, "");
    add("  drained", `${c.completed}/${c.n} in ${f(c.drainSeconds)} s (${f(c.perSecond)}/s)${c.timedOut ? " TIMED OUT" : ""}`, c.create ? `creates ${f(c.create.seconds)} s (${f(c.create.perSecond)}/s)` : undefined);
    add("  operator RSS start / peak / end", `${f(c.operator.rssStartMiB)} / ${f(c.operator.rssPeakMiB)} / ${f(c.operator.rssEndMiB)} MiB${ok(c.operator.rssPeakMiB <= 512)}`, "target ≤ 512 MiB at 100,000");
    add("  operator CPU", `${f(c.operator.cpuSeconds)} s (${f(c.operator.cpuCores, 2)} cores)`);
    const big = c.largestObjectBytes;
    const max = Math.max(big.pool, big.job, big.task, big.deployment, big.jobDuringRun, big.poolDuringRun);
    add("  largest object (JSON bytes)", `pool ${big.pool}, job ${big.job}, task ${big.task}, deployment ${big.deployment}${ok(max <= 256 * 1024)}`, "target ≤ 256 KiB");
  }
  if (r.collection) {
    const c = r.collection;
    add(`TASK COLLECTION  ${c.tasks} items of /bin/true in one collection, ${s.nodes} nodes × ${s.slotsPerNode} slots`, "");
    add("  items done", `${c.completed}/${c.tasks} in ${f(c.seconds, 1)} s (${f(c.perSecond)}/s)${c.timedOut ? " TIMED OUT" : ""}`, `${c.failed} failed; status startTime → endTime ${f(c.statusSeconds, 1)} s`);
    add("  spawn ceiling, bare spawn of /bin/true", `${f(c.spawnCeilingPerSecond)} /s`, `${c.spawnCeiling.spawns} spawns in ${f(c.spawnCeiling.seconds, 1)} s, ${c.spawnCeiling.concurrency} at a time, one process; CPU/spawn: spawner ${f(c.spawnCeiling.parentCpuMsPerSpawn, 2)} ms, /bin/true ${f(c.spawnCeiling.childCpuMsPerSpawn, 2)} ms`);
    add("  ratio collection / spawn ceiling", c.ofSpawnCeiling !== undefined ? f(c.ofSpawnCeiling, 2) : "—");
    add("  API writes per item", f(c.apiWritesPerTask, 4), Object.entries(c.apiWrites).slice(0, 4).map(([k, v]) => `${k} ${v}`).join(", "));
    add("  operator RSS start / peak / end", `${f(c.operator.rssStartMiB)} / ${f(c.operatorRssPeakMiB)} / ${f(c.operator.rssEndMiB)} MiB`, `operator CPU ${f(c.operator.cpuSeconds)} s (${f(c.operator.cpuCores, 2)} cores)`);
    add("  largest object (JSON bytes)", `${c.largestObjectBytes}${ok(c.largestObjectBytes <= 256 * 1024)}`, `collection ${c.objectBytes.collection}, chunk ${c.objectBytes.chunk} (of ${c.objectBytes.chunks}), job ${c.objectBytes.job}; target ≤ 256 KiB`);
    add("  CPU per item by component", Object.entries(c.cpuMsPerItem).slice(0, 4).map(([k, v]) => `${k} ${f(v, 2)}`).join(", ") + " ms", `machine ${f(c.cpu.machineCores, 2)} of ${r.machine.cpus} cores busy (${f(c.cpu.clusterCores, 2)} this cluster's control plane and operator); load average ${f(c.loadAverage.start, 1)} → ${f(c.loadAverage.end, 1)}`);
    add("  node pods' CPU per item", `agent ${f(c.nodeCpuMsPerItem.agent, 2)}, runner ${f(c.nodeCpuMsPerItem.runner, 2)}, item process ${f(c.nodeCpuMsPerItem.itemProcess, 2)} ms`, `${c.nodeCpu.processes} agent/runner processes, from /proc`);
    add("  etcd database growth", `${f(c.etcdDbGrowthMiB)} MiB`, `${f(c.etcdDb.beforeMiB)} → ${f(c.etcdDb.afterMiB)} MiB allocated${c.etcdDb.inUseGrowthMiB !== undefined ? `, in use +${f(c.etcdDb.inUseGrowthMiB)} MiB` : ""}`);
  }
  const body = rows.filter((x) => x[1] !== "");
  const w = Math.max(...body.map((x) => x[0].length));
  const v = Math.max(...body.map((x) => x[1].length));
  console.log(`\nkubatch bench — ${r.when}, ${r.machine.cpus} × ${r.machine.cpuModel ?? "?"}, ${r.machine.node}, ${f(r.totalSeconds)} s total`);
  for (const [label, value, note] of rows) console.log(value === "" ? label : `${label.padEnd(w)}  ${value.padEnd(v)}  ${note ?? ""}`.trimEnd());
  console.log("\nCPU seconds by component per phase (this cluster's long-lived processes):");
  for (const [name, phase] of [["create", r.create], ["kubatch", r.tp], ["Pod mode", r.pod], ["Job", r.job], ["dispatch", r.dispatch], ["latency", r.latency], ["collection", r.collection], ["scale", r.scale]] as const) if (phase) console.log(`  ${name.padEnd(10)} ${busiest(phase.cpu)}`);
  if (r.errors.length) console.log(`\nERRORS:\n  ${r.errors.join("\n  ")}`);
}
