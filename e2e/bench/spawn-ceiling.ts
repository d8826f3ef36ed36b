// The physical limit of a no-op task on this machine: the same command spawned bare by one
// process (node's child_process.spawn, no shell, output ignored), `concurrency` at a time,
// until `maxSpawns` exited or `maxMs` passed. No API, no files, no agent: what is left when
// only the process itself is paid for.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { statCpu } from "./node-processes.ts";

export type SpawnCeiling = {
  command: string;
  concurrency: number;
  spawns: number;
  failed: number;
  seconds: number;
  perSecond: number;
  /** CPU per spawn of the spawning process (fork/exec, reaping) and of the spawned process itself (this process's children). */
  parentCpuMsPerSpawn: number;
  childCpuMsPerSpawn: number;
};

const selfCpu = () => statCpu(readFileSync("/proc/self/stat", "utf8"));

export async function spawnCeiling(argv: readonly string[], concurrency: number, maxSpawns: number, maxMs: number): Promise<SpawnCeiling> {
  const [file, ...args] = argv as [string, ...string[]];
  const cpu0 = selfCpu();
  const t0 = performance.now();
  const deadline = t0 + maxMs;
  let started = 0;
  let spawns = 0;
  let failed = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const child = spawn(file, args, { stdio: "ignore" });
      child.once("error", () => (failed++, resolve()));
      child.once("exit", (code) => {
        if (code !== 0) failed++;
        resolve();
      });
    });
  const lane = async () => {
    while (started < maxSpawns && performance.now() < deadline) {
      started++;
      await one();
      spawns++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = selfCpu();
  const perSpawn = (s: number) => Math.round(((s * 1000) / Math.max(spawns, 1)) * 1000) / 1000;
  return {
    command: argv.join(" "),
    concurrency,
    spawns,
    failed,
    // To 10 µs: three failed spawns take a few ms, which two decimals made 0 s (a CI failure).
    seconds: Math.round(seconds * 100_000) / 100_000,
    perSecond: Math.round((spawns / seconds) * 10) / 10,
    parentCpuMsPerSpawn: perSpawn(cpu1.self - cpu0.self),
    childCpuMsPerSpawn: perSpawn(cpu1.children - cpu0.children),
  };
}
