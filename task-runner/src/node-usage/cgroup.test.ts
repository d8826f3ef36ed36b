// A container's cgroup as runc mounts it, v1 and v2, from the files' own text; and the real
// cgroup of this test's process, which has used CPU and memory.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { cpuLimitCores, parseBlkio, parseFlatKeyed, parseIoStat, readCgroupUsage, workingSet } from "./cgroup.ts";

const root = mkdtempSync(join(tmpdir(), "kubatch-cgroup-"));
after(() => rmSync(root, { recursive: true, force: true }));

function tree(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe("cgroup files", () => {
  const limits: [string, string | undefined, string | undefined, number | undefined][] = [
    ["v2 unlimited", "max 100000\n", undefined, undefined],
    ["v2 two cores", "200000 100000\n", undefined, 2],
    ["v2 half a core", "50000 100000", undefined, 0.5],
    ["v1 unlimited", "-1\n", "100000\n", undefined],
    ["v1 1.5 cores", "150000\n", "100000\n", 1.5],
    ["no file", undefined, undefined, undefined],
  ];
  for (const [name, quota, period, cores] of limits) test(`cpu limit: ${name}`, () => assert.equal(cpuLimitCores(quota, period), cores));

  test("io.stat sums devices and ignores other fields", () => {
    const text = "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n253:1 rbytes=100 wbytes=200 rios=3 wios=4\n";
    assert.deepEqual(parseIoStat(text), { diskReadBytes: 4196, diskWriteBytes: 8392, diskReadOps: 4, diskWriteOps: 6 });
  });

  test("blkio sums Read and Write per device, leaving the Total lines out", () => {
    const text = "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n8:0 Total 12288\n8:16 Read 10\n8:16 Write 0\nTotal 12298\n";
    assert.deepEqual(parseBlkio(text), { read: 4106, write: 8192 });
  });

  test("flat keyed files and the working set", () => {
    const stat = parseFlatKeyed("usage_usec 1500000\nuser_usec 1000000\nnr_periods 0\nbad line x\n");
    assert.equal(stat.get("usage_usec"), 1_500_000);
    assert.equal(stat.has("bad"), false);
    assert.equal(workingSet(100, 30), 70);
    assert.equal(workingSet(100, 130), 0);
    assert.equal(workingSet(100, undefined), 100);
  });

  test("a v2 container's tree", async () => {
    const dir = tree("v2", {
      "cgroup.controllers": "cpuset cpu io memory pids\n",
      "cpu.stat": "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n",
      "cpu.max": "100000 100000\n",
      "memory.current": "104857600\n",
      "memory.stat": "anon 50000000\nfile 54857600\ninactive_file 4857600\n",
      "io.stat": "8:0 rbytes=1000 wbytes=2000 rios=3 wios=4\n",
    });
    assert.deepEqual(await readCgroupUsage(dir), { cpuSeconds: 2.5, cpuLimitCores: 1, memoryBytes: 100_000_000, diskReadBytes: 1000, diskWriteBytes: 2000, diskReadOps: 3, diskWriteOps: 4 });
  });

  test("a v1 container's controllers", async () => {
    const dir = tree("v1", {
      "cpuacct/cpuacct.usage": "3000000000\n",
      "cpu/cpu.cfs_quota_us": "200000\n",
      "cpu/cpu.cfs_period_us": "100000\n",
      "memory/memory.usage_in_bytes": "20000000\n",
      "memory/memory.stat": "cache 5000000\ntotal_inactive_file 1000000\n",
      "blkio/blkio.throttle.io_service_bytes": "8:0 Read 512\n8:0 Write 1024\n8:0 Total 1536\nTotal 1536\n",
      "blkio/blkio.throttle.io_serviced": "8:0 Read 1\n8:0 Write 2\n8:0 Total 3\nTotal 3\n",
    });
    assert.deepEqual(await readCgroupUsage(dir), { cpuSeconds: 3, cpuLimitCores: 2, memoryBytes: 19_000_000, diskReadBytes: 512, diskWriteBytes: 1024, diskReadOps: 1, diskWriteOps: 2 });
  });

  test("a folder without cgroup files reads as nothing used", async () => {
    assert.deepEqual(await readCgroupUsage(tree("empty", { "x/readme": "" })), { cpuSeconds: 0, cpuLimitCores: undefined, memoryBytes: 0, diskReadBytes: 0, diskWriteBytes: 0, diskReadOps: 0, diskWriteOps: 0 });
  });

  test("this machine's own cgroup shows CPU and memory in use", async () => {
    const usage = await readCgroupUsage();
    assert.ok(usage.cpuSeconds > 0, `cpuSeconds ${usage.cpuSeconds}`);
    assert.ok(usage.memoryBytes > 0, `memoryBytes ${usage.memoryBytes}`);
  });
});
