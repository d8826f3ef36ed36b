import assert from "node:assert/strict";
import { test } from "node:test";
import { spawnCeiling } from "./spawn-ceiling.ts";

test("spawnCeiling stops at maxSpawns or maxMs, counting failed spawns and non-zero exits", async () => {
  const cases: { argv: string[]; concurrency: number; maxSpawns: number; maxMs: number; spawns: (n: number) => boolean; failed: (n: number, spawns: number) => boolean }[] = [
    { argv: ["/bin/true"], concurrency: 4, maxSpawns: 20, maxMs: 30_000, spawns: (n) => n === 20, failed: (n) => n === 0 },
    { argv: ["/bin/false"], concurrency: 2, maxSpawns: 6, maxMs: 30_000, spawns: (n) => n === 6, failed: (n) => n === 6 },
    { argv: ["/nonexistent/command"], concurrency: 1, maxSpawns: 3, maxMs: 30_000, spawns: (n) => n === 3, failed: (n) => n === 3 },
    // Bounded by time: sleeps of 0.2 s, one lane, 0.3 s → two spawns start, none after the deadline.
    { argv: ["/bin/sleep", "0.2"], concurrency: 1, maxSpawns: 1_000, maxMs: 300, spawns: (n) => n >= 1 && n <= 3, failed: (n) => n === 0 },
  ];
  for (const c of cases) {
    const r = await spawnCeiling(c.argv, c.concurrency, c.maxSpawns, c.maxMs);
    assert.ok(c.spawns(r.spawns), `${c.argv.join(" ")}: ${r.spawns} spawns`);
    assert.ok(c.failed(r.failed, r.spawns), `${c.argv.join(" ")}: ${r.failed} failed`);
    assert.equal(r.concurrency, c.concurrency);
    assert.ok(r.perSecond > 0 && r.seconds > 0);
    assert.ok(r.parentCpuMsPerSpawn >= 0 && r.childCpuMsPerSpawn >= 0);
  }
});
