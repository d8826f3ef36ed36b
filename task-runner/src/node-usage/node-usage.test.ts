import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { CgroupUsage } from "../../../api/node-usage.ts";
import { diskWalkMs, nodeUsageReader } from "./node-usage.ts";

const root = mkdtempSync(join(tmpdir(), "kubatch-usage-"));
after(() => rmSync(root, { recursive: true, force: true }));

const cg = (cpuSeconds: number, memoryBytes: number, cpuLimitCores?: number, startedAt?: string): CgroupUsage => ({ cpuSeconds, cpuLimitCores, memoryBytes, diskReadBytes: 1, diskWriteBytes: 2, diskReadOps: 3, diskWriteOps: 4, startedAt });

test("the node's usage adds the tasks container's and the agent's; capacity is the tasks container's limit, else the machine's", async () => {
  let tasks: CgroupUsage | undefined = cg(10, 1000, 2, "2026-12-07T10:00:00.000Z");
  let now = 0;
  const read = nodeUsageReader({ tasks: async () => tasks, agent: async () => cg(1, 100), network: async () => ({ inBytes: 5, outBytes: 6 }), rootDir: root, machineCores: 8, now: () => now });
  const first = await read();
  const epoch = (first as { epoch: string }).epoch;
  assert.match(epoch, /^\d{4}-.*Z\/2026-12-07T10:00:00\.000Z$/, "the agent's start and the runner's");
  assert.deepEqual({ ...first, diskBytes: undefined, epoch: undefined }, { epoch: undefined, cpuSeconds: 11, cpuCores: 2, memoryBytes: 1100, diskReadBytes: 2, diskWriteBytes: 4, diskReadOps: 6, diskWriteOps: 8, diskBytes: undefined, networkInBytes: 5, networkOutBytes: 6 });

  writeFileSync(join(root, "big"), Buffer.alloc(1 << 20));
  tasks = cg(12, 1000, undefined, "2026-12-07T11:00:00.000Z");
  const soon = await read();
  assert.notEqual((soon as { epoch: string }).epoch, epoch, "a restarted tasks container is another epoch");
  assert.equal((soon as { cpuCores: number }).cpuCores, 8, "no limit: the machine's CPUs");
  assert.equal((soon as { diskBytes: number }).diskBytes, (first as { diskBytes: number }).diskBytes, "the root is walked at most every diskWalkMs");
  now += diskWalkMs;
  assert.ok((await read() as { diskBytes: number }).diskBytes >= (first as { diskBytes: number }).diskBytes + (1 << 20));

  tasks = undefined;
  assert.match((await read() as { unavailable: string }).unavailable, /runner did not answer/);
});
